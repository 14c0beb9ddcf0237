import { createContext, type ReactNode, useContext, useEffect } from 'react';
import type { HeraldClient } from '../client.ts';
import { HeraldClientError } from '../errors.ts';

const HeraldContext = createContext<HeraldClient | undefined>(undefined);

/**
 * Props of {@link HeraldProvider}.
 *
 * @example
 * const props: HeraldProviderProps = { client, children: <App /> };
 */
export interface HeraldProviderProps {
  /** The app's client; the provider does not close it (the app owns it). */
  readonly client: HeraldClient;
  /** Open the WebSocket on mount (default true). Otherwise it opens when a hook needs it. */
  readonly connect?: boolean;
  readonly children?: ReactNode;
}

/**
 * Makes a {@link HeraldClient} available to the hooks below it.
 *
 * @example
 * const client = createHeraldClient({ apiUrl, wsUrl, getToken });
 * root.render(
 *   <HeraldProvider client={client}>
 *     <App />
 *   </HeraldProvider>,
 * );
 */
export function HeraldProvider({ client, connect = true, children }: HeraldProviderProps): ReactNode {
  useEffect(() => {
    // A client without a WebSocket implementation still serves REST and polling.
    if (connect && client.state !== 'open') {
      try {
        client.connect();
      } catch (err) {
        if (!(err instanceof HeraldClientError)) throw err;
      }
    }
  }, [client, connect]);
  return <HeraldContext.Provider value={client}>{children}</HeraldContext.Provider>;
}

/**
 * The client of the nearest {@link HeraldProvider}; throws when there is none (a wiring mistake).
 *
 * @example
 * const client = useHeraldClient();
 * const jobs = await client.jobs();
 */
export function useHeraldClient(): HeraldClient {
  const client = useContext(HeraldContext);
  if (!client) {
    throw new HeraldClientError(
      'INVALID_ARGUMENT',
      'Herald hooks must be used inside <HeraldProvider client={…}>.',
    );
  }
  return client;
}
