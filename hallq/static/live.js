// What every device page shares (boards, keypads, kiosks): the device token kept from the
// set-up address, and the /hall connection that subscribes again on every (re)connect and
// renders from the acknowledged state. Vanilla JS, no build step.
"use strict";

const hallqLive = (() => {
  // The device token arrives once, as ?token=..., when the device is set up; it is kept in the
  // browser under `key` and taken out of the address bar. Returns the kept token, if any.
  function keepToken(key) {
    const url = new URL(location.href);
    const token = url.searchParams.get("token");
    if (token) {
      localStorage.setItem(key, token);
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + url.search);
    }
    return localStorage.getItem(key);
  }

  // Subscribes to each of `subscriptions` in turn (one after the other: the server may handle
  // two messages of a client at once), then calls handlers.state(the last acknowledgement's
  // state); handlers[event](payload) applies one event, and events that arrive while the
  // subscriptions wait are applied after the state. A refused subscription calls onRefused(ack).
  function connect({ subscriptions, handlers, token = null, onLive, onLost, onRefused }) {
    const socket = io("/hall", {
      transports: ["websocket"],
      auth: token ? { token } : undefined,
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
    });
    let pending = null;
    for (const name of Object.keys(handlers).filter((name) => name !== "state")) {
      socket.on(name, (payload) => (pending ? pending.push([name, payload]) : handlers[name](payload)));
    }
    function subscribe(index) {
      socket.emit("subscribe", subscriptions[index], (ack) => {
        if (!ack || !ack.ok) return onRefused(ack);
        if (index + 1 < subscriptions.length) return subscribe(index + 1);
        handlers.state(ack.state);
        const queued = pending;
        pending = null;
        for (const [name, payload] of queued) handlers[name](payload);
        onLive();
      });
    }
    socket.on("connect", () => {
      pending = [];
      subscribe(0);
    });
    socket.on("disconnect", onLost);
    socket.on("connect_error", onLost);
    return socket;
  }

  return { keepToken, connect };
})();
