import type { Command } from 'commander';
import { ACCELERATOR_MODELS, findAcceleratorModel } from '../../hardware/accelerator-models.js';
import { CATALOG_COLUMNS, catalogRow } from '../../hardware/catalog-table.js';
import { renderTable, UsageError } from '../output.js';

export function registerCatalog(program: Command): void {
  program
    .command('catalog')
    .description(
      'The built-in accelerator catalog; with a model, its MIG profiles and where each may be placed',
    )
    .argument('[model]', 'a model id or alias, e.g. H100 or "NVIDIA A100-SXM4-80GB"')
    .action((name: string | undefined) => {
      if (name === undefined) {
        console.log(renderTable([...CATALOG_COLUMNS], ACCELERATOR_MODELS.map(catalogRow)));
        return;
      }
      const model = findAcceleratorModel(name);
      if (!model)
        throw new UsageError(`"${name}" is not in the catalog; \`strata catalog\` lists the models`);
      console.log(renderTable([...CATALOG_COLUMNS], [catalogRow(model)]));
      if (!model.mig) {
        console.log(`\n${model.id} does not support MIG.`);
        return;
      }
      console.log(
        `\nMIG profiles (a GPU has ${model.mig.memorySlices} memory slices and ${model.mig.computeSlices} compute slices):`,
      );
      console.log(
        renderTable(
          ['Profile', 'Compute', 'Memory slices', 'Memory', 'Max per GPU', 'Starts'],
          model.mig.profiles.map((p) => [
            p.name,
            `${p.computeSlices}/7`,
            `${p.memorySlices}/8`,
            `${p.memoryGiB} GB`,
            p.maxInstances,
            p.allowedStarts.join(','),
          ]),
        ),
      );
    });
}
