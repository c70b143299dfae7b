// hubbub-client.js — the JavaScript client package of hubbub (package.json): the hubbub.v1
// protocol client the chat page is built on, as an ES module, for Node (20 and later) and
// browsers. It is not a copy: it loads the page's own chat-protocol.js and rooms-protocol.js,
// which declare their names as plain scripts and hand them over through one global that this
// module takes back and removes. hubbub-client.d.ts declares the API; docs/clients.md shows a
// bot.
import "./chat-protocol.js";
import "./rooms-protocol.js";

const protocol = globalThis.HubbubProtocol;
if (!protocol || typeof protocol.ChatClient !== "function") {
  throw new Error("hubbub-client: chat-protocol.js did not load");
}
delete globalThis.HubbubProtocol;

/** The hubbub.v1 client: one reconnecting WebSocket, its rooms, their messages and pending sends. */
export const ChatClient = protocol.ChatClient;
/** One room's state in a ChatClient (client.rooms.get(name)). */
export const RoomState = protocol.RoomState;
/** The subprotocol of the JSON protocol, "hubbub.v1". */
export const HUBBUB_PROTOCOL = protocol.HUBBUB_PROTOCOL;
/** Every hubbub.v1 frame the client sends and reads, with its fields (docs/protocol.md). */
export const HUBBUB_FRAMES = protocol.HUBBUB_FRAMES;
/** The client's timings, in milliseconds (reconnect backoff, pings, ack timeout, …). */
export const CHAT_TIMING = protocol.CHAT_TIMING;
/** The limits the client mirrors from the server. */
export const CHAT_LIMITS = protocol.CHAT_LIMITS;
/** The room names the server accepts. */
export const ROOM_NAME = protocol.ROOM_NAME;
/** Encodes a client frame with only the fields HUBBUB_FRAMES lists for its type. */
export const encodeFrame = protocol.encodeFrame;

/**
 * Resolves with the message once the server has stored a send: pending is what client.send
 * returned, and the message is the one the room now holds (its seq is its place in the log).
 * Rejects when the send failed (refused, or unanswered: client.retry sends it again) or
 * options.signal aborts. A send waiting for a connection just waits: the client sends it, with
 * its id, as soon as the room is joined again.
 */
export function delivered(client, pending, options = {}) {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    const check = () => {
      const r = client.rooms.get(pending.room);
      if (!r) return finish(new Error(`hubbub-client: left #${pending.room} before message ${pending.id} was stored`));
      if (pending.state === "failed" && r.pending.has(pending.id)) {
        return finish(new Error(`hubbub-client: message ${pending.id} to #${pending.room} failed: ${pending.error}`));
      }
      if (r.pending.has(pending.id)) return;
      for (const m of r.messages.values()) if (m.client_id === pending.id) return finish(null, m);
      // Settled by the message frame, which the room holds a moment later ("messages").
    };
    const finish = (err, m) => {
      client.removeEventListener("pending", check);
      client.removeEventListener("messages", check);
      signal?.removeEventListener("abort", aborted);
      if (err) reject(err);
      else resolve(m);
    };
    const aborted = () => finish(signal.reason ?? new Error("aborted"));
    if (signal?.aborted) return aborted();
    client.addEventListener("pending", check);
    client.addEventListener("messages", check);
    signal?.addEventListener("abort", aborted);
    check();
  });
}
