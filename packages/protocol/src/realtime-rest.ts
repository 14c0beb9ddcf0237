import * as z from 'zod';
import { HeraldEventSchema } from './events.ts';

// REST bodies of the realtime routes (`POST /realtime/tickets`, `POST /devices`,
// `DELETE /devices/{token}`) and the message other services publish to the notify topic.

/** How long a `$connect` ticket stays valid, in seconds. */
export const TICKET_TTL_SECONDS = 60;

/** A ticket is 32 random bytes (256 bits) in base64url without padding: 43 characters. */
export const TicketSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a Herald ticket.');

/**
 * `POST /realtime/tickets` → `201`: a one-time credential for `$connect`
 * (`wss://…?ticket=<ticket>`), bound to the caller, valid once until `expiresAt`.
 */
export const CreateTicketResponseSchema = z
  .strictObject({
    ticket: TicketSchema,
    expiresAt: z.iso.datetime(),
  })
  .meta({
    description: `A one-time WebSocket credential, valid for ${TICKET_TTL_SECONDS} s: connect with \`?ticket=\`.`,
  });

/** Platforms a push device registers for. */
export const DEVICE_PLATFORMS = ['ios', 'android', 'web'] as const;
export const DevicePlatformSchema = z
  .enum(DEVICE_PLATFORMS, { error: 'Use ios, android or web.' })
  .meta({ description: 'The platform of a push device.' });

/**
 * An FCM registration token. FCM tokens are opaque but use letters, digits and `_ : . -` only;
 * the charset also keeps a token safe in the `DELETE /devices/{token}` path and in table keys.
 */
export const DeviceTokenSchema = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z0-9_:.-]+$/, 'Use the FCM registration token as the app received it.');

/** `POST /devices`: registers (or refreshes) a push device of the caller. Idempotent. */
export const RegisterDeviceRequestSchema = z
  .strictObject({
    token: DeviceTokenSchema,
    platform: DevicePlatformSchema,
  })
  .meta({ description: '`POST /devices` body.' });

/**
 * `POST /devices` → `201` (new) or `200` (already registered, refreshed). The token is not echoed.
 * A caller at the per-user cap gets `409 DEVICE_LIMIT_REACHED`.
 */
export const RegisterDeviceResponseSchema = z
  .strictObject({
    platform: DevicePlatformSchema,
    registeredAt: z.iso.datetime(),
    created: z.boolean(),
  })
  .meta({ description: 'A registered push device; the token is not echoed.' });

/**
 * What a service publishes to the notify topic (SNS `Message`, as JSON): one event for one user.
 * The realtime subscriber validates it with this schema and hands it to the publisher.
 */
export const NotifyMessageSchema = z.strictObject({
  userId: z.string().min(1).max(128),
  event: HeraldEventSchema,
});

export type CreateTicketResponse = z.infer<typeof CreateTicketResponseSchema>;
export type DevicePlatform = z.infer<typeof DevicePlatformSchema>;
export type RegisterDeviceRequest = z.infer<typeof RegisterDeviceRequestSchema>;
export type RegisterDeviceResponse = z.infer<typeof RegisterDeviceResponseSchema>;
export type NotifyMessage = z.infer<typeof NotifyMessageSchema>;
