import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ACCELERATOR_MODELS,
  type AcceleratorModel,
  findAcceleratorModel,
} from '../../hardware/accelerator-models.js';
import { CATALOG_COLUMNS, catalogRow } from '../../hardware/catalog-table.js';
import { API_VERSION } from '../../model/object.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app.js';

const PATH = `/apis/${API_VERSION}/acceleratormodels`;

/** A catalog entry as a read-only API object, named so that kubectl can address it. */
function asObject(model: AcceleratorModel) {
  const { id, ...spec } = model;
  return {
    apiVersion: API_VERSION,
    kind: 'AcceleratorModel',
    metadata: { name: id.toLowerCase() },
    spec: { id, ...spec },
  };
}

function table(models: readonly AcceleratorModel[]) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: CATALOG_COLUMNS.map((name, i) => ({
      name: i === 0 ? 'Name' : name,
      type: 'string',
      format: i === 0 ? 'name' : '',
      description: name,
      priority: 0,
    })),
    rows: models.map((m) => ({
      cells: [m.id.toLowerCase(), ...catalogRow(m).slice(1)],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { name: m.id.toLowerCase() },
      },
    })),
  };
}

const wantsTable = (request: FastifyRequest) => /as=Table/.test(request.headers.accept ?? '');

/**
 * The built-in accelerator catalog, read-only: any authenticated caller may
 * read it (it is public vendor data), nobody may change it.
 */
export function registerCatalogRoutes(app: FastifyInstance, _ctx: AppContext): void {
  app.get(PATH, async (request) =>
    wantsTable(request)
      ? table(ACCELERATOR_MODELS)
      : {
          apiVersion: API_VERSION,
          kind: 'AcceleratorModelList',
          metadata: {},
          items: ACCELERATOR_MODELS.map(asObject),
        },
  );
  app.get(`${PATH}/:name`, async (request) => {
    const { name } = request.params as { name: string };
    const model = findAcceleratorModel(name);
    if (!model) throw ApiError.notFound(`accelerator model "${name}" is not in the catalog`);
    return wantsTable(request) ? table([model]) : asObject(model);
  });
}
