import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';

export interface LocalS3 {
  readonly endpoint: string;
  readonly server: S3rver;
  stop(): Promise<void>;
}

export interface StartS3Options {
  readonly dataDir: string;
  readonly buckets: readonly string[];
  /** Origins allowed to PUT/GET from a browser (the demo page uploads straight to S3). */
  readonly corsOrigins?: readonly string[];
}

/** S3's CORS XML; the same rules the CDK app puts on the uploads bucket. */
function corsXml(origins: readonly string[]): string {
  const allowed = origins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join('');
  return `<CORSConfiguration><CORSRule>${allowed}<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
}

/** Starts s3rver (S3's HTTP protocol on loopback) with the stack's buckets. */
export async function startS3(options: StartS3Options): Promise<LocalS3> {
  mkdirSync(options.dataDir, { recursive: true });
  const cors = corsXml(options.corsOrigins ?? ['*']);
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: options.dataDir,
    // Path-style only: virtual-host buckets would need DNS for *.localhost.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [cors] })),
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    server,
    stop: () => server.close(),
  };
}
