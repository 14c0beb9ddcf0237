import type { ConnectionState } from '@herald/client-sdk';
import { useConnectionState, useHeraldClient } from '@herald/client-sdk/react';
import { type ReactNode, useEffect, useState } from 'react';

const LABELS: Record<ConnectionState, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

/** The WebSocket's state, and the last connection error while it is not open. */
export function ConnectionBadge(): ReactNode {
  const client = useHeraldClient();
  const state = useConnectionState();
  const [lastError, setLastError] = useState<string | undefined>();
  useEffect(() => client.on('error', (err) => setLastError(err.message)), [client]);
  useEffect(() => {
    if (state === 'open') setLastError(undefined);
  }, [state]);
  return (
    <span
      className="badge"
      role="status"
      data-testid="connection-state"
      data-state={state}
      title={state === 'open' ? 'Events arrive over the WebSocket as they happen.' : lastError}
    >
      <span className="dot" aria-hidden="true" />
      <span className="visually-hidden">Connection: </span>
      {LABELS[state]}
    </span>
  );
}
