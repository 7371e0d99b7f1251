import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

/** Marks a parameter slot while compiling; no real value starts with a NUL. */
const SLOT = '\u0000strata-arg:';

/**
 * A Kysely query compiled once, then run many times with new values.
 *
 * Building and compiling a Kysely query costs about as much as SQLite takes
 * to run a simple one, and the store runs the same dozen shapes all the
 * time. `build` is called once with placeholder arguments; each placeholder
 * that reaches the compiled parameters becomes a slot filled from the
 * arguments of `run`, by name. So `build` must read its arguments one by
 * one, as values: never branch on them, and never pass the arguments object
 * itself (Kysely would find no keys in it; spell out insert columns).
 *
 * Compiled with the Kysely it is given, so the SQL is in that engine's dialect;
 * `run` may use any Kysely of the same dialect (one bound to a transaction).
 */
export class PreparedQuery<Args extends object, Row> {
  readonly #compiled: CompiledQuery<Row>;
  readonly #slots: readonly ({ readonly arg: string } | { readonly value: unknown })[];

  constructor(build: (args: Args) => Compilable<Row>) {
    const placeholders = new Proxy({} as Args, { get: (_target, name) => `${SLOT}${String(name)}` });
    const compiled = build(placeholders).compile();
    this.#compiled = compiled;
    this.#slots = compiled.parameters.map((value) =>
      typeof value === 'string' && value.startsWith(SLOT) ? { arg: value.slice(SLOT.length) } : { value },
    );
  }

  run<DB>(db: Kysely<DB>, args: Args): Promise<QueryResult<Row>> {
    const values = args as Record<string, unknown>;
    const parameters = this.#slots.map((slot) => ('arg' in slot ? values[slot.arg] : slot.value));
    // The compiled query with new parameters: same SQL text, same statement in the driver's cache.
    return db.executeQuery({ ...this.#compiled, parameters });
  }
}
