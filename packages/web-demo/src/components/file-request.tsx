import type { FileLink } from '@herald/client-sdk';
import { useHeraldClient } from '@herald/client-sdk/react';
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { formatBytes, formatTime } from '../format.ts';

/**
 * Files of the local stack's sample SRV-GW (packages/local/samples). `public/` is open to every
 * signed-in user; `reports/` needs a group grant (file delivery denies by default).
 */
export const SAMPLE_FILE_PATHS = [
  'public/readme.txt',
  'reports/2026/q3-summary.csv',
  'reports/2026/q3-chart.png',
];

type FileState =
  | { readonly status: 'idle' }
  | { readonly status: 'loading'; readonly path: string }
  | { readonly status: 'ready'; readonly path: string; readonly link: FileLink }
  | { readonly status: 'error'; readonly path: string; readonly message: string; readonly code: string };

/** Ask for a file by path; the SDK waits for the server to fetch it, then offers the download link. */
export function FileRequest(): ReactNode {
  const client = useHeraldClient();
  const inputId = useId();
  const listId = useId();
  const [path, setPath] = useState(SAMPLE_FILE_PATHS[0] ?? '');
  const [state, setState] = useState<FileState>({ status: 'idle' });
  const request = useRef<AbortController | undefined>(undefined);

  useEffect(() => () => request.current?.abort(), []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const wanted = path.trim();
    if (!wanted) return;
    request.current?.abort();
    const controller = new AbortController();
    request.current = controller;
    setState({ status: 'loading', path: wanted });
    try {
      const link = await client.getFileLink(wanted, { signal: controller.signal });
      if (!controller.signal.aborted) setState({ status: 'ready', path: wanted, link });
    } catch (err) {
      if (controller.signal.aborted) return;
      const { message, code } = err as { message: string; code?: string };
      setState({ status: 'error', path: wanted, message, code: code ?? 'ERROR' });
    }
  };

  return (
    <section className="card" aria-labelledby="file-title">
      <h2 id="file-title">Request a file</h2>
      <form onSubmit={submit} className="file-form">
        <div className="field grow">
          <label htmlFor={inputId}>File path</label>
          <input
            id={inputId}
            data-testid="file-path"
            type="text"
            value={path}
            spellCheck={false}
            autoComplete="off"
            list={listId}
            onChange={(e) => setPath(e.target.value)}
          />
          <datalist id={listId}>
            {SAMPLE_FILE_PATHS.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </div>
        <div className="actions">
          <button
            type="submit"
            data-testid="file-submit"
            disabled={!path.trim() || state.status === 'loading'}
          >
            {state.status === 'loading' ? 'Preparing…' : 'Get download link'}
          </button>
        </div>
      </form>
      <div aria-live="polite" aria-atomic="true" data-testid="file-result">
        {state.status === 'loading' && (
          <p className="muted" aria-busy="true">
            Preparing <code>{state.path}</code>…
          </p>
        )}
        {state.status === 'ready' && (
          <p className="notice success">
            <a href={state.link.url} download={state.link.fileName} data-testid="file-link" rel="noopener">
              Download {state.link.fileName}
            </a>{' '}
            <span className="muted">
              ({formatBytes(state.link.size)}, {state.link.contentType}; the link expires{' '}
              {formatTime(state.link.expiresAt)})
            </span>
          </p>
        )}
        {state.status === 'error' && (
          <p className="notice failure" data-testid="file-error">
            <strong>
              No link for <code>{state.path}</code>.
            </strong>{' '}
            {state.message} <span className="muted">({state.code})</span>
          </p>
        )}
      </div>
    </section>
  );
}
