import { useEffect, useState } from 'react';
import type { ObjectMeta } from '../model/objects.js';
import { type ApiClient, ApiFailure } from './client.js';
import { watchCollection } from './watch.js';

export interface Collection<T> {
  /** Keyed by project/name (or name for cluster-scoped kinds), in arrival order. */
  readonly items: ReadonlyMap<string, T>;
  readonly loaded: boolean;
  /** Set when the collection cannot be read (403/404 for this token) or the watch dropped. */
  readonly error: string | undefined;
  /** Bumped on every change, for memoised views. */
  readonly version: number;
}

/** Waits this long before listing again after a watch ended, so a down server is not hammered. */
const RELIST_MS = 1_000;

export function objectKey(object: { metadata: ObjectMeta }): string {
  const { project, name } = object.metadata;
  return project ? `${project}/${name}` : name;
}

/**
 * A collection listed once (every page) and, when `live`, followed through the watch API from
 * the list's revision, so the page never polls; when the watch ends it lists again. Only the
 * kinds that change while one looks are live: a browser opens at most 6 connections to a host
 * over HTTP/1.1, and every watch holds one for good.
 */
export function useCollection<T extends { metadata: ObjectMeta }>(
  client: ApiClient,
  path: string,
  live: boolean,
): Collection<T> {
  const [state, setState] = useState<Collection<T>>({
    items: new Map(),
    loaded: false,
    error: undefined,
    version: 0,
  });
  useEffect(() => {
    let stopped = false;
    let stopWatch: (() => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const items = new Map<string, T>();
    let version = 0;
    const publish = (error: string | undefined) =>
      setState({ items: new Map(items), loaded: true, error, version: ++version });
    const load = async () => {
      try {
        const { items: listed, revision } = await client.listAll<T>(path);
        if (stopped) return;
        items.clear();
        for (const item of listed) items.set(objectKey(item), item);
        publish(undefined);
        if (!live) return;
        stopWatch = watchCollection<T>(
          client,
          path,
          revision,
          (events) => {
            for (const event of events) {
              const key = objectKey(event.object);
              if (event.type === 'DELETED') items.delete(key);
              else items.set(key, event.object);
            }
            publish(undefined);
          },
          () => {
            if (!stopped) timer = setTimeout(() => void load(), RELIST_MS);
          },
        );
      } catch (error) {
        if (stopped) return;
        const refused = error instanceof ApiFailure && (error.status === 403 || error.status === 404);
        publish(
          refused ? `not visible to this token: ${(error as Error).message}` : (error as Error).message,
        );
        if (!refused) timer = setTimeout(() => void load(), RELIST_MS);
      }
    };
    void load();
    return () => {
      stopped = true;
      stopWatch?.();
      if (timer) clearTimeout(timer);
    };
  }, [client, path, live]);
  return state;
}
