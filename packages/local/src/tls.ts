import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/**
 * The local stack's certificate authorities, so every connection a function makes is TLS with a
 * verified peer, as on AWS:
 *
 * - **public**: stands for the web PKI every Lambda trusts (SRV-GW's certificate, for one).
 *   Functions trust it by default, as Node trusts the public roots on Lambda.
 * - **rds**: stands for the RDS certificate authority that signs DB instance certificates. On
 *   Lambda (Node.js 20 and later) a function trusts it only with
 *   `NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem`, the Amazon CA bundle the runtime ships
 *   (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html); locally that path maps to
 *   {@link LocalTls.lambdaCaBundle}, which holds both authorities.
 *
 * Keys and certificates live in the stack's data folder, made once and reused.
 */
export interface LocalTls {
  /** PEM of the public stand-in authority: what a function trusts with no setting. */
  readonly publicCaFile: string;
  /** PEM of the RDS stand-in authority (the database's certificate chains to it). */
  readonly rdsCaFile: string;
  /** Both authorities: the local stand-in for `/var/runtime/ca-cert.pem`. */
  readonly lambdaCaBundle: string;
  /** The database server's certificate and key (`localhost`, `127.0.0.1`), signed by the RDS stand-in. */
  readonly database: { readonly certFile: string; readonly keyFile: string };
  /** A web server certificate and key (`localhost`, `127.0.0.1`), signed by the public stand-in. */
  readonly web: { readonly cert: string; readonly key: string };
}

interface KeyPair {
  readonly privatePem: string;
  readonly publicPem: string;
}

function newKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
}

function issue(commonName: string, keys: KeyPair, issuer: Issued | undefined, isCa: boolean): Issued {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  // Within the 398 days browsers and Node accept for a leaf; the CAs last ten years.
  cert.validity.notAfter = new Date(now + (isCa ? 3650 : 390) * 86_400_000);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'Herald local stack' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(issuer ? forge.pki.certificateFromPem(issuer.certPem).subject.attributes : subject);
  cert.setExtensions(
    isCa
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
          { name: 'subjectKeyIdentifier' },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', serverAuth: true },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 2, value: 'localhost' },
              { type: 7, ip: '127.0.0.1' },
            ],
          },
        ],
  );
  const signer = forge.pki.privateKeyFromPem(issuer?.keyPem ?? keys.privatePem) as forge.pki.rsa.PrivateKey;
  cert.sign(signer, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

/** Reads `name` from `dir` or makes it with `make` (so a restart keeps the trust it handed out). */
function stored(dir: string, name: string, make: () => Issued): Issued {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  if (existsSync(certFile) && existsSync(keyFile))
    return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  const made = make();
  writeFileSync(keyFile, made.keyPem, { mode: 0o600 });
  writeFileSync(certFile, made.certPem);
  return made;
}

/**
 * Makes (once) and returns the local authorities and server certificates under `dir`.
 *
 * @example
 * const tls = ensureLocalTls(join(dataDir, 'tls'));
 * https.createServer({ cert: tls.web.cert, key: tls.web.key }, handler);
 */
export function ensureLocalTls(dir: string): LocalTls {
  mkdirSync(dir, { recursive: true });
  const publicCa = stored(dir, 'public-ca', () =>
    issue('Herald local public CA', newKeyPair(), undefined, true),
  );
  const rdsCa = stored(dir, 'rds-ca', () => issue('Herald local RDS CA', newKeyPair(), undefined, true));
  stored(dir, 'database', () => issue('localhost', newKeyPair(), rdsCa, false));
  const web = stored(dir, 'web', () => issue('localhost', newKeyPair(), publicCa, false));
  const lambdaCaBundle = join(dir, 'lambda-ca-bundle.pem');
  writeFileSync(lambdaCaBundle, publicCa.certPem + rdsCa.certPem);
  return {
    publicCaFile: join(dir, 'public-ca.pem'),
    rdsCaFile: join(dir, 'rds-ca.pem'),
    lambdaCaBundle,
    database: { certFile: join(dir, 'database.pem'), keyFile: join(dir, 'database-key.pem') },
    web: { cert: web.certPem, key: web.keyPem },
  };
}
