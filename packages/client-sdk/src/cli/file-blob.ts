import { type FileHandle, open, stat } from 'node:fs/promises';

// The CLI's view of a file on disk as a `Blob`: every `slice` is a byte range of the file, and
// every read of one (`stream`, `arrayBuffer`, `text`, or `writeRange` by the part sender) opens
// the file and reads it 64 KiB at a time. So the SDK's multipart uploader slices it as it slices
// a browser `File` (resume fingerprints, retries, parts in any order), and no part is ever held
// whole. `fs.openAsBlob` would do the same, but on Node 20 it reports the size of a file of
// 4 GiB or more modulo 2^32 (a 5 GiB file is a 1 GiB Blob), so a large file was refused or cut.

/** Bytes read from the file at a time. */
export const FILE_CHUNK_BYTES = 64 * 1024;

/**
 * A byte range of a file on disk, as a `Blob` that reads the file only when asked.
 *
 * @example
 * const file = await openFileBlob('big.csv');
 * const part = file.slice(8 * 1024 * 1024, 16 * 1024 * 1024); // nothing read yet
 * for await (const chunk of part.stream()) sink.write(chunk); // 64 KiB at a time
 */
export class FileBlob extends Blob {
  /** The file's path. */
  readonly path: string;
  /** Where the range starts and ends (exclusive) in the file. */
  readonly start: number;
  readonly end: number;
  // Own properties shadow the empty Blob's getters: the range decides what this Blob holds.
  override readonly size: number;
  override readonly type: string;

  constructor(path: string, start: number, end: number, type = '') {
    super([]);
    this.path = path;
    this.start = start;
    this.end = end;
    this.size = end - start;
    this.type = type;
  }

  /** A sub-range, with `Blob.slice`'s rules (negative offsets count from the end, clamped). */
  override slice(start = 0, end = this.size, type = ''): FileBlob {
    const at = (offset: number) =>
      Math.min(this.size, Math.max(0, offset < 0 ? this.size + Math.trunc(offset) : Math.trunc(offset)));
    const from = at(start);
    return new FileBlob(this.path, this.start + from, this.start + Math.max(from, at(end)), type);
  }

  /** The range's bytes as a stream of chunks of at most {@link FILE_CHUNK_BYTES}. */
  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    let handle: FileHandle | undefined;
    let at = this.start;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        handle ??= await openFile(this.path);
        try {
          if (at >= this.end) {
            await handle.close();
            controller.close();
            return;
          }
          const chunk = new Uint8Array(Math.min(FILE_CHUNK_BYTES, this.end - at));
          const bytesRead = await readAt(handle, this.path, chunk, at);
          at += bytesRead;
          controller.enqueue(chunk.subarray(0, bytesRead));
        } catch (err) {
          await handle.close().catch(() => {});
          throw err;
        }
      },
      cancel: async () => {
        await handle?.close();
      },
    });
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = new Uint8Array(this.size);
    await this.readInto(async (chunk, offset) => {
      bytes.set(chunk, offset);
    });
    return bytes.buffer;
  }

  override async text(): Promise<string> {
    return new TextDecoder().decode(await this.arrayBuffer());
  }

  /**
   * Reads the range in order into two reused buffers of {@link FILE_CHUNK_BYTES}, handing each
   * filled one to `write` and reading into it again only once that write resolved: a sender that
   * resolves when its socket took the bytes (e.g. `ClientRequest.write`'s callback) makes a part
   * cost 128 KiB and leave no garbage, however large.
   *
   * @example
   * await part.readInto((chunk) => new Promise((resolve, reject) => req.write(chunk, (e) => (e ? reject(e) : resolve()))));
   */
  async readInto(write: (chunk: Uint8Array, offset: number) => Promise<void>): Promise<void> {
    const handle = await openFile(this.path);
    const ring = [new Uint8Array(FILE_CHUNK_BYTES), new Uint8Array(FILE_CHUNK_BYTES)] as const;
    // The write of the buffer not being filled; settled before that buffer is read into again.
    let other: Promise<void> = Promise.resolve();
    try {
      for (let at = this.start, i = 0; at < this.end; i++) {
        const buffer = ring[i % 2] as Uint8Array;
        const bytesRead = await readAt(handle, this.path, buffer.subarray(0, this.end - at), at);
        const written = write(buffer.subarray(0, bytesRead), at - this.start);
        // If `other` rejects first, this one's failure is the same broken request: not unhandled.
        written.catch(() => {});
        at += bytesRead;
        await other;
        other = written;
      }
      await other;
    } finally {
      await handle.close();
    }
  }
}

/**
 * The file itself failed a read of its range: it ended early (it changed while it was read), or
 * opening or reading it failed. Unlike a failed write of the bytes, reading again cannot help.
 *
 * @example
 * if (err instanceof FileReadError) console.error(err.message);
 */
export class FileReadError extends Error {
  override readonly name = 'FileReadError';
}

const unreadable = (path: string, err: unknown) =>
  new FileReadError(`${path} could not be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, {
    cause: err,
  });

async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path);
  } catch (err) {
    throw unreadable(path, err);
  }
}

/** Fills `buffer` from `at` as far as one read goes; a file that ends there changed. */
async function readAt(handle: FileHandle, path: string, buffer: Uint8Array, at: number): Promise<number> {
  let bytesRead: number;
  try {
    ({ bytesRead } = await handle.read(buffer, 0, buffer.byteLength, at));
  } catch (err) {
    throw unreadable(path, err);
  }
  if (bytesRead === 0)
    throw new FileReadError(`${path} ended at byte ${at}: it changed while it was being read.`);
  return bytesRead;
}

/**
 * The whole file at `path` as a {@link FileBlob} (its size from `stat`, exact at any size).
 *
 * @example
 * client.upload(await openFileBlob('big.csv'), { dataset: 'transactions' });
 */
export async function openFileBlob(path: string): Promise<FileBlob> {
  const { size } = await stat(path);
  return new FileBlob(path, 0, size);
}
