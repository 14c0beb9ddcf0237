import { adminApi } from '@herald/client-sdk/admin';
import { useHeraldClient, useTopic } from '@herald/client-sdk/react';
import type { Topics } from '@herald/client-sdk/topics';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { formatTime } from '../format.ts';

/** The shared topic every signed-in user is granted by default. */
const TOPIC = 'announcements';

/**
 * The announcements topic, live: every signed-in user sees its events (each once, by `seq`, the
 * last hour's replayed on sign-in); members of `admins` can publish one.
 */
export function Announcements({ topics, isAdmin }: { topics: Topics; isAdmin: boolean }): ReactNode {
  const { events, error } = useTopic(topics, TOPIC, { max: 10 });
  return (
    <section className="card" aria-labelledby="announcements-title" data-testid="announcements">
      <h2 id="announcements-title">Announcements</h2>
      {error && (
        <p className="notice failure" role="alert">
          {error.message}
        </p>
      )}
      {events.length === 0 ? (
        <p className="muted">Nothing announced yet.</p>
      ) : (
        <ul className="announcements">
          {[...events].reverse().map((event) => (
            <li key={event.seq} data-testid="announcement">
              <strong>{event.title}</strong> <span className="muted">{formatTime(event.at)}</span>
              {event.body && <p>{event.body}</p>}
            </li>
          ))}
        </ul>
      )}
      {isAdmin && <PublishForm />}
    </section>
  );
}

function PublishForm(): ReactNode {
  const client = useHeraldClient();
  const titleId = useId();
  const [title, setTitle] = useState('');
  const [status, setStatus] = useState<string | undefined>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return;
    try {
      const { body } = await adminApi(client).publishTopicEvent({
        params: { topic: TOPIC },
        body: { title: title.trim(), body: '' },
      });
      setStatus(`Published #${body.seq} to ${body.subscribers} connection(s).`);
      setTitle('');
    } catch (err) {
      setStatus((err as Error).message);
    }
  };
  return (
    <form onSubmit={submit} className="publish">
      <label htmlFor={titleId}>Announce (admins)</label>
      <input id={titleId} value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} />
      <button type="submit">Publish</button>
      {status && <p className="muted">{status}</p>}
    </form>
  );
}
