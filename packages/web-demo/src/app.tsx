import { createHeraldClient, type HeraldClient } from '@herald/client-sdk';
import { multipartUploader } from '@herald/client-sdk/multipart';
import { HeraldProvider } from '@herald/client-sdk/react';
import { openTopics, type Topics } from '@herald/client-sdk/topics';
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { Announcements } from './components/announcements.tsx';
import { ConnectionBadge } from './components/connection-badge.tsx';
import { FileRequest } from './components/file-request.tsx';
import { JobHistory } from './components/job-history.tsx';
import { SignIn } from './components/sign-in.tsx';
import { UploadPanel } from './components/upload-panel.tsx';
import { type DevToken, devTokenProvider, type LocalInfo, loadLocalInfo } from './local-stack.ts';
import { createNetworkDrop, type NetworkDrop } from './network-drop.ts';

interface Session {
  readonly username: string;
  readonly groups: readonly string[];
  readonly client: HeraldClient;
  /** Shared topics (announcements) on their own socket of the same user. */
  readonly topics: Topics;
  /** The dev control that cuts an upload in parts at ~50 % to show it resume. */
  readonly networkDrop: NetworkDrop;
}

type InfoState =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly info: LocalInfo }
  | { readonly status: 'error'; readonly message: string };

/** The demo: discover the local stack, sign in as a dev user, then use Herald through the SDK. */
export function App(): ReactNode {
  const [infoState, setInfoState] = useState<InfoState>({ status: 'loading' });
  const [session, setSession] = useState<Session | undefined>();

  useEffect(() => {
    let current = true;
    loadLocalInfo().then(
      (info) => current && setInfoState({ status: 'ready', info }),
      (err: unknown) => current && setInfoState({ status: 'error', message: (err as Error).message }),
    );
    return () => {
      current = false;
    };
  }, []);

  // The app owns the client: close its WebSocket when the session ends or the page goes away.
  useEffect(() => {
    if (!session) return;
    const close = () => {
      session.topics.close();
      session.client.close();
    };
    window.addEventListener('pagehide', close);
    return () => {
      window.removeEventListener('pagehide', close);
      close();
    };
  }, [session]);

  const signIn = useCallback(
    (info: LocalInfo, user: { username: string; groups: readonly string[] }, token: DevToken) => {
      const networkDrop = createNetworkDrop();
      const client = createHeraldClient({
        apiUrl: info.apiUrl,
        wsUrl: info.wsUrl,
        getToken: devTokenProvider(info.identity, user.username, token),
        // Files of 16 MiB or more are uploaded in parts (the SDK's core leaves that out).
        uploader: networkDrop.wrap(multipartUploader({ fetch: networkDrop.fetch })),
      });
      const topics = openTopics(client, { wsUrl: info.wsUrl });
      setSession({ username: user.username, groups: user.groups, client, topics, networkDrop });
    },
    [],
  );

  const page = (
    <div className="page">
      <header className="page-header">
        <h1>Herald demo</h1>
        {session && (
          <div className="session">
            <ConnectionBadge />
            <span data-testid="signed-in-user">
              Signed in as <strong>{session.username}</strong>
              {session.groups.length > 0 && <span className="muted"> ({session.groups.join(', ')})</span>}
            </span>
            <button type="button" className="secondary" onClick={() => setSession(undefined)}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main>
        {infoState.status === 'loading' && <p aria-busy="true">Looking for the local stack…</p>}
        {infoState.status === 'error' && (
          <div className="notice failure" role="alert">
            <strong>The local stack did not answer.</strong> {infoState.message} Start it with{' '}
            <code>npm run dev</code> and open the address it prints.
          </div>
        )}
        {infoState.status === 'ready' && !session && (
          <SignIn
            identity={infoState.info.identity}
            onSignedIn={(user, token) => signIn(infoState.info, user, token)}
          />
        )}
        {session && (
          <Dashboard
            topics={session.topics}
            isAdmin={session.groups.includes('admins')}
            networkDrop={session.networkDrop}
          />
        )}
      </main>
    </div>
  );
  // Hooks below the provider (badge, upload, history) all use the session's client.
  return session ? <HeraldProvider client={session.client}>{page}</HeraldProvider> : page;
}

function Dashboard({
  topics,
  isAdmin,
  networkDrop,
}: {
  topics: Topics;
  isAdmin: boolean;
  networkDrop: NetworkDrop;
}): ReactNode {
  // Bumped when an upload starts or ends, so the history shows the new job at once.
  const [jobsVersion, setJobsVersion] = useState(0);
  const jobsChanged = useCallback(() => setJobsVersion((v) => v + 1), []);
  return (
    <div className="dashboard">
      <UploadPanel onJobsChanged={jobsChanged} networkDrop={networkDrop} />
      <FileRequest />
      <JobHistory version={jobsVersion} />
      <Announcements topics={topics} isAdmin={isAdmin} />
    </div>
  );
}
