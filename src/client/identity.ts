/**
 * The client's random names: its instance id, which the handshake carries so
 * that the server knows it again after a reconnect, and the key of each
 * envelope it may send twice, so that the server handles it once.
 */

/** The prefix of the subprotocol entry that carries the client's instance id. */
export const CLIENT_PROTOCOL = 'carom.client.';

/** base64url of `bytes`, no padding; `btoa` exists in browsers and Node alike. */
export function base64urlBytes(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * 16 random bytes as 22 base64url characters: an instance id or a key, within
 * the 16 to 64 characters of `[A-Za-z0-9_-]` the protocol takes.
 */
export function randomId(): string {
  return base64urlBytes(crypto.getRandomValues(new Uint8Array(16)));
}
