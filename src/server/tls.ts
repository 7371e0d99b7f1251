import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from '../runtime/atomic-file.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

export interface TlsMaterial {
  readonly caFile: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

async function readIfPresent(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

/**
 * A private CA and a server certificate for it, under `<dataDir>/tls`, made on
 * first start and reused after. kubectl only sends a bearer token over TLS, and
 * a token should never cross a network in the clear anyway.
 */
export async function ensureTls(dataDir: string, host: string): Promise<TlsMaterial> {
  const dir = join(dataDir, 'tls');
  const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  const [ca, cert, key] = await Promise.all([
    readIfPresent(files.ca),
    readIfPresent(files.cert),
    readIfPresent(files.key),
  ]);
  if (ca && cert && key && usable(ca, cert, key, host)) return { caFile: files.ca, ca, cert, key };

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=Strata local CA',
    notBefore: now,
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    keys: caKeys as webcrypto.CryptoKeyPair,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const names = [...new Set(['localhost', '127.0.0.1', '::1', host])];
  const serverCert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=strata',
    issuer: caCert.subject,
    notBefore: now,
    notAfter: new Date(now.getTime() + 825 * DAY_MS),
    publicKey: (serverKeys as webcrypto.CryptoKeyPair).publicKey,
    signingKey: (caKeys as webcrypto.CryptoKeyPair).privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n })),
      ),
    ],
  });
  const material = {
    caFile: files.ca,
    ca: caCert.toString('pem'),
    cert: serverCert.toString('pem'),
    key: await exportKey((serverKeys as webcrypto.CryptoKeyPair).privateKey),
  };
  // The key first and the CA last: a kill in between leaves material that `ensureTls` replaces whole.
  await writeFileAtomic(files.key, material.key, 0o600);
  await writeFileAtomic(files.cert, material.cert);
  await writeFileAtomic(files.ca, material.ca);
  return material;
}

/** Material that parses, is unexpired, names `host` and was issued by the CA beside it; anything else is made anew. */
function usable(caPem: string, certPem: string, keyPem: string, host: string): boolean {
  try {
    createPrivateKey(keyPem);
    const cert = new x509.X509Certificate(certPem);
    const ca = new x509.X509Certificate(caPem);
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    const names = san?.names.items.map((n) => n.value) ?? [];
    return names.includes(host) && cert.notAfter > new Date() && cert.issuer === ca.subject;
  } catch {
    return false;
  }
}

function randomSerial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '7');
}
