import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ManifestDocument, type ManifestError, parseManifest } from '../model/manifests.js';

const MANIFEST = /\.(ya?ml|json)$/;

/** Reads a manifest file, or every .yaml/.yml/.json file under a directory in name order; "-" reads stdin. */
export async function readManifests(
  path: string,
): Promise<{ documents: ManifestDocument[]; errors: ManifestError[] }> {
  const documents: ManifestDocument[] = [];
  const errors: ManifestError[] = [];
  for (const file of await manifestFiles(path)) {
    const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    const parsed = parseManifest(text, file === '-' ? '<stdin>' : file);
    documents.push(...parsed.documents);
    errors.push(...parsed.errors);
  }
  return { documents, errors };
}

async function manifestFiles(path: string): Promise<string[]> {
  if (path === '-') return ['-'];
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await manifestFiles(full)));
    else if (MANIFEST.test(entry.name)) files.push(full);
  }
  return files;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
