/* Passerelle's player: what a learner does becomes xAPI statements, kept first on the device
   (an outbox in IndexedDB, each with an id made here), then sent in batches whenever the
   network allows. A statement leaves the outbox only once the LRS has it (2xx), or already
   had it (409); on a network error, 5xx or 429 it stays, and sending waits longer each time.
   A module launched the cmi5 way fetches its key once and keeps it with its session. */
(function () {
  "use strict";
  var doc = document, data = doc.getElementById("xapi");
  if (!data || !window.indexedDB || !window.fetch) return;
  data = JSON.parse(data.textContent);
  var VERSION = {"X-Experience-API-Version": "1.0.3"};
  var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
  var BATCH = 50, TICK = 30000, LONGEST = 600000;
  var wait = 0, timer = 0, busy = false, dbp;

  function db() {
    dbp = dbp || new Promise(function (ok, ko) {
      var r = indexedDB.open("passerelle", 1);
      r.onupgradeneeded = function () {
        r.result.createObjectStore("outbox", {keyPath: "seq", autoIncrement: true});
        r.result.createObjectStore("sessions", {keyPath: "registration"});
      };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { ko(r.error); };
    });
    return dbp;
  }

  // Run fn(store) in one transaction; resolve with what fn's request gave, once committed.
  function tx(name, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (ok, ko) {
        var t = d.transaction(name, mode), req = fn(Array.isArray(name) ? t : t.objectStore(name));
        t.oncomplete = function () { ok(req && req.result); };
        t.onerror = t.onabort = function () { ko(t.error); };
      });
    });
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    h = h.join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function session() {
    return tx("sessions", "readonly", function (s) { return s.get(data.registration); });
  }

  // An outbox entry: the statement with an id and a time made here, the session's context and key.
  function stamp(st, ses) {
    st = JSON.parse(JSON.stringify(st));
    st.id = uuid();
    st.timestamp = new Date().toISOString();
    var c = st.context = st.context || {};
    if (ses && ses.sessionId) {
      c.extensions = c.extensions || {};
      c.extensions[SESSION] = ses.sessionId;
    }
    return {statement: st, auth: ses ? ses.token : "", endpoint: ses ? ses.endpoint : data.endpoint};
  }

  function record(statements) {
    return session().then(function (ses) {
      return tx("outbox", "readwrite", function (s) {
        statements.forEach(function (st) { s.add(stamp(st, ses)); });
      });
    }).then(flush);
  }

  function show() {
    var el = doc.getElementById("outbox");
    if (!el) return;
    tx("outbox", "readonly", function (s) { return s.count(); }).then(function (n) {
      el.hidden = !n;
      el.textContent = n ? el.getAttribute("data-text").replace("{n}", n) : "";
    });
  }

  function later(ms) {
    clearTimeout(timer);
    timer = setTimeout(function () { timer = 0; flush(); }, ms);
  }

  // Send the oldest statements that share a key and an address; repeat until the outbox is empty.
  function flush() {
    if (busy) return Promise.resolve();
    busy = true;
    return tx("outbox", "readonly", function (s) { return s.getAll(null, BATCH); }).then(function (items) {
      if (!items.length) return "done";
      var first = items[0], batch = items.filter(function (i) {
        return i.auth === first.auth && i.endpoint === first.endpoint;
      });
      var headers = {"Content-Type": "application/json"};
      for (var k in VERSION) headers[k] = VERSION[k];
      if (first.auth) headers.Authorization = first.auth;
      return fetch(first.endpoint + "statements", {
        method: "POST", headers: headers, credentials: "same-origin", cache: "no-store",
        body: JSON.stringify(batch.map(function (i) { return i.statement; }))
      }).then(function (r) {
        if (r.ok || r.status === 409) return drop(batch);
        if (r.status === 401 && first.auth) return reauth(batch);  // the key expired: as the signed-in learner
        var e = new Error("LRS " + r.status);
        e.after = +r.headers.get("Retry-After") * 1000 || 0;
        throw e;
      });
    }).then(function (state) {
      busy = false;
      show();
      if (state === "done") { wait = 0; return; }
      wait = 0;
      return flush();
    }, function (e) {
      busy = false;
      show();
      // Network down, the LRS busy or failing: keep everything and try again, less and less often.
      wait = Math.min(LONGEST, Math.max(wait * 2, 2000));
      later(Math.max(e.after || 0, wait * (0.75 + Math.random() / 2)));
    });
  }

  function drop(batch) {
    return tx("outbox", "readwrite", function (s) {
      batch.forEach(function (i) { s.delete(i.seq); });
    });
  }

  function reauth(batch) {
    return tx("outbox", "readwrite", function (s) {
      batch.forEach(function (i) { i.auth = ""; i.endpoint = data.endpoint; s.put(i); });
    });
  }

  // A cmi5 launch: fetch the key once and keep it at once; then read the launch data and say
  // "initialized" (a later page finishes this if the learner moved on before it was done).
  function launch() {
    var q = new URLSearchParams(location.search);
    if (!q.get("fetch") || !q.get("endpoint")) return session().then(ready);
    history.replaceState(null, "", location.pathname);  // a reload must not fetch again
    return fetch(q.get("fetch"), {method: "POST", cache: "no-store"}).then(function (r) {
      return r.json();
    }).then(function (j) {
      if (!j["auth-token"]) throw new Error(j["error-text"]);
      var ses = {registration: q.get("registration"), token: j["auth-token"], endpoint: q.get("endpoint"),
                 actor: JSON.parse(q.get("actor")), activityId: q.get("activityId")};
      return keep(ses).then(function () { return ready(ses); });
    });
  }

  function keep(ses) {
    return tx("sessions", "readwrite", function (s) { return s.put(ses); });
  }

  function ready(ses) {
    if (!ses || ses.sessionId) return;
    var h = {Authorization: ses.token};
    for (var k in VERSION) h[k] = VERSION[k];
    var state = new URLSearchParams({activityId: ses.activityId, agent: JSON.stringify(ses.actor),
                                     registration: ses.registration, stateId: "LMS.LaunchData"});
    return fetch(ses.endpoint + "activities/state?" + state, {headers: h, cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Error("LRS " + r.status);
      return r.json();
    }).then(function (ld) {
      var template = ld.contextTemplate || {};
      var acts = JSON.parse(JSON.stringify(template.contextActivities || {}));
      acts.category = [{id: CMI5, objectType: "Activity"}];
      ses.sessionId = (template.extensions || {})[SESSION];
      ses.launchData = ld;
      var st = stamp({actor: ses.actor, verb: {id: "http://adlnet.gov/expapi/verbs/initialized",
                                               display: {"en-US": "initialized"}},
                      object: {id: ses.activityId, objectType: "Activity"},
                      context: {registration: ses.registration, contextActivities: acts,
                                language: doc.documentElement.lang}}, ses);
      // The session and its "initialized" are kept together, so that it is sent once, whatever happens.
      return tx(["sessions", "outbox"], "readwrite", function (t) {
        t.objectStore("sessions").put(ses);
        t.objectStore("outbox").add(st);
      });
    }).then(flush);
  }

  if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
  addEventListener("online", function () { wait = 0; flush(); });
  setInterval(function () { if (!busy && !timer) flush(); }, TICK);
  launch().catch(function () {}).then(function () {
    return data.statements.length ? record(data.statements) : flush();
  }).then(function () {
    doc.documentElement.setAttribute("data-recorded", "");  // this page's statements are safe on the device
  });
  window.passerelle = {record: record, flush: flush};
})();
