import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react';
import { type DevToken, type DevUser, fetchDevToken, listDevUsers } from '../local-stack.ts';

export interface SignInProps {
  /** Base URL of the local identity provider. */
  readonly identity: string;
  readonly onSignedIn: (user: DevUser, token: DevToken) => void;
}

/** The dev sign-in: pick a user of the local identity provider and get an ID token for it. */
export function SignIn({ identity, onSignedIn }: SignInProps): ReactNode {
  const selectId = useId();
  const [users, setUsers] = useState<DevUser[] | undefined>();
  const [username, setUsername] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let current = true;
    listDevUsers(identity).then(
      (list) => {
        if (!current) return;
        setUsers(list);
        setUsername((name) => name || (list[0]?.username ?? ''));
      },
      (err: unknown) => current && setError((err as Error).message),
    );
    return () => {
      current = false;
    };
  }, [identity]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const user = users?.find((u) => u.username === username);
    if (!user) return;
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(user, await fetchDevToken(identity, user.username));
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <section className="card narrow" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in</h2>
      <p className="muted">Dev users of the local identity provider (a stand-in for Cognito).</p>
      <form onSubmit={submit} className="stack">
        <label htmlFor={selectId}>User</label>
        <select
          id={selectId}
          data-testid="sign-in-user"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          disabled={!users || busy}
        >
          {users?.map((u) => (
            <option key={u.username} value={u.username}>
              {u.username}
              {u.groups.length > 0 ? ` (${u.groups.join(', ')})` : ''}
            </option>
          ))}
        </select>
        <button type="submit" data-testid="sign-in-submit" disabled={!users || !username || busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {error && (
        <p className="notice failure" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
