// Deterministic CSV generators for bench/ingest.ts: the same seed gives the same bytes on every
// machine, so runs are comparable. xorshift32 (Marsaglia 2003) is enough for test data and fast.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  below(n: number): number {
    return this.next() % n;
  }
}

function hex32(n: number): string {
  return `${HEX[(n >>> 24) & 255]}${HEX[(n >>> 16) & 255]}${HEX[(n >>> 8) & 255]}${HEX[n & 255]}`;
}

/** A version-4-shaped UUID; `unique` (e.g. a row index) makes it unique in a file. */
function uuid(rng: Prng, unique?: number): string {
  const a = unique === undefined ? hex32(rng.next()) : hex32(unique);
  const b = hex32(rng.next());
  const c = hex32(rng.next());
  const d = hex32(rng.next());
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-8${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
}

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/** An ISO-8601 UTC timestamp in 2023 (days 1–28: every month has them). */
function timestamp(rng: Prng): string {
  const r = rng.next();
  return `2023-${PAD2[1 + (r % 12)]}-${PAD2[1 + ((r >>> 4) % 28)]}T${PAD2[(r >>> 9) % 24]}:${PAD2[(r >>> 14) % 60]}:${PAD2[(r >>> 20) % 60]}Z`;
}

function date(rng: Prng): string {
  const r = rng.next();
  return `${1950 + (r % 50)}-${PAD2[1 + ((r >>> 6) % 12)]}-${PAD2[1 + ((r >>> 10) % 28)]}`;
}

async function writeRows(
  path: string,
  header: string,
  rows: number,
  line: (i: number) => string,
): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let batch = `${header}\n`;
  for (let i = 0; i < rows; i++) {
    batch += `${line(i)}\n`;
    if (batch.length >= 1 << 20) {
      bytes += Buffer.byteLength(batch);
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  bytes += Buffer.byteLength(batch);
  out.end(batch);
  await once(out, 'finish');
  return bytes;
}

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY'];
const NOTES = [
  '',
  '',
  'refund',
  'monthly subscription',
  '"invoice 2024-117, part 2"',
  'café ☕',
  'card ending 4242',
];

/** `transactions` rows (about 124 bytes each): the dataset's columns, in its order. Returns bytes written. */
export function generateTransactionsCsv(path: string, rows: number, seed = 42): Promise<number> {
  const rng = new Prng(seed);
  return writeRows(
    path,
    'transaction_id,customer_external_id,amount,currency,occurred_at,note',
    rows,
    (i) => {
      const r = rng.next();
      const amount = `${r % 10 === 0 ? '-' : ''}${(r >>> 4) % 100_000}.${PAD2[(r >>> 21) % 100]}`;
      return `${uuid(rng, i)},${uuid(rng)},${amount},${CURRENCIES[rng.below(CURRENCIES.length)]},${timestamp(rng)},${NOTES[rng.below(NOTES.length)]}`;
    },
  );
}

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Margaret',
  'Niklaus',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Wirth',
];
const BOOLEANS = ['true', 'false', 'yes', 'no', '1', '0', ''];

/** `customers` rows (about 150 bytes each) with unique `external_id`s. Returns bytes written. */
export function generateCustomersCsv(path: string, rows: number, seed = 7): Promise<number> {
  const rng = new Prng(seed);
  return writeRows(
    path,
    'external_id,name,email,credit_limit,orders_count,active,signed_up_at,birth_date',
    rows,
    (i) => {
      const first = FIRST[rng.below(FIRST.length)] ?? 'Ada';
      const last = LAST[rng.below(LAST.length)] ?? 'Lovelace';
      const r = rng.next();
      const credit = r % 4 === 0 ? '' : `${(r >>> 3) % 50_000}.${PAD2[(r >>> 20) % 100]}`;
      return [
        uuid(rng, i),
        `"${last}, ${first}"`,
        `${first.toLowerCase()}.${last.toLowerCase()}${i}@example.com`,
        credit,
        rng.below(500),
        BOOLEANS[rng.below(BOOLEANS.length)],
        timestamp(rng),
        date(rng),
      ].join(',');
    },
  );
}
