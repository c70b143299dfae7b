// relay.js — a TCP relay between test clients and a hubbub server that a test can break on
// purpose: cut every connection, refuse new ones, or swallow what the server sends (so that a
// request reaches the server but its answer never reaches the client).
import net from "node:net";

/** Starts a relay to the host and port of serverURL; resolves with its controls. */
export function startRelay(serverURL) {
  const target = new URL(serverURL);
  const links = new Set();
  let down = false;
  let swallowing = false;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    const link = { client, upstream };
    links.add(link);
    const close = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (b) => upstream.write(b));
    upstream.on("data", (b) => {
      if (!swallowing) client.write(b);
    });
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `ws://127.0.0.1:${port}${target.pathname}`,
        /** Closes every relayed connection. */
        cut() {
          for (const l of [...links]) {
            l.client.destroy();
            l.upstream.destroy();
          }
          links.clear();
        },
        /** Refuses (closes at once) new connections while on. */
        setDown(on) {
          down = on;
        },
        /** Drops what the server sends while on. */
        swallow(on) {
          swallowing = on;
        },
        close() {
          this.cut();
          server.close();
        },
      });
    });
  });
}
