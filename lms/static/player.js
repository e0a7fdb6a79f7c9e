/* Passerelle's player: what a learner does becomes xAPI statements, kept first on the device
   (an outbox in IndexedDB, each with an id made here), then sent in batches whenever the
   network allows. A statement leaves the outbox only once the LRS has it (2xx), or already
   had it (409); on a network error, 5xx or 429 it stays, and sending waits longer each time.
   One the LRS refuses for what it is (400, 403, 413) is set aside on the device, so that it
   does not hold back the others. What the device grades is feedback for the learner: the LMS
   grades the answers again when they arrive, and only that counts.
   A module launched the cmi5 way fetches its key once and keeps it with its session. */
(function () {
  "use strict";
  var doc = document, data = doc.getElementById("xapi");
  if (!data || !window.indexedDB || !window.fetch) return;
  data = JSON.parse(data.textContent);
  var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
  var BATCH = 50, TICK = 30000, LONGEST = 600000;
  var wait = 0, timer = 0, busy = false, single = false, dbp;

  function db() {
    dbp = dbp || new Promise(function (ok, ko) {
      var r = indexedDB.open("passerelle", 2);
      r.onupgradeneeded = function () {
        var d = r.result, has = function (n) { return d.objectStoreNames.contains(n); };
        if (!has("outbox")) d.createObjectStore("outbox", {keyPath: "seq", autoIncrement: true});
        if (!has("sessions")) d.createObjectStore("sessions", {keyPath: "registration"});
        if (!has("states")) d.createObjectStore("states", {keyPath: "path"});  // the last of each document
        if (!has("refused")) d.createObjectStore("refused", {autoIncrement: true});  // kept, never sent again
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

  // What every LRS request carries: the xAPI version, JSON, and the session's key if it has one.
  function lrs(auth) {
    var h = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"};
    if (auth) h.Authorization = auth;
    return h;
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
    return tx("outbox", "readonly", function (s) { return s.getAll(null, single ? 1 : BATCH); }).then(function (items) {
      if (!items.length) return states();
      var first = items[0], batch = items.filter(function (i) {
        return i.auth === first.auth && i.endpoint === first.endpoint;
      });
      var body = JSON.stringify(batch.map(function (i) { return i.statement; }));
      return fetch(first.endpoint + "statements", {
        method: "POST", headers: lrs(first.auth), credentials: "same-origin", cache: "no-store", body: body,
        keepalive: new TextEncoder().encode(body).length < 60000  // finishes even if the learner leaves the page
      }).then(function (r) {
        if (r.ok || r.status === 409) return drop(batch);
        if (r.status === 401 && first.auth) return reauth(batch);  // the key expired: as the signed-in learner
        // Refused for what it says: find which statement, one at a time, and set it aside (not lost).
        if (r.status === 400 || r.status === 403 || r.status === 413) {
          if (batch.length > 1) return (single = true);
          return refuse(batch[0], r.status);
        }
        var e = new Error("LRS " + r.status);
        e.after = +r.headers.get("Retry-After") * 1000 || 0;
        throw e;
      });
    }).then(function (state) {
      busy = false;
      show();
      if (state === "done") { wait = 0; single = false; return; }
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

  // Then the State API documents (where the learner is), each the last one written, sent once.
  function states() {
    return tx("states", "readonly", function (s) { return s.getAll(null, 1); }).then(function (docs) {
      var d = docs[0];
      if (!d) return "done";
      return fetch(d.endpoint + d.path, {method: "PUT", headers: lrs(d.auth), credentials: "same-origin",
                                         cache: "no-store", body: JSON.stringify(d.document)}).then(function (r) {
        var refused = r.status === 400 || r.status === 403 || r.status === 413;  // a place is no answer: drop it
        if (!r.ok && !refused && !(r.status === 401 && d.auth)) throw new Error("LRS " + r.status);
        return tx("states", "readwrite", function (s) {
          s.get(d.path).onsuccess = function (e) {
            var now = e.target.result;  // written again meanwhile: keep the newer one
            if (!now || now.at !== d.at) return;
            if (r.ok || refused) return s.delete(d.path);
            now.auth = "";  // the key expired: as the signed-in learner
            now.endpoint = data.endpoint;
            s.put(now);
          };
        });
      });
    });
  }

  function keepState(st, ses) {
    if (!st) return;
    var path = "activities/state?" + new URLSearchParams(st.params);
    return tx("states", "readwrite", function (s) {
      s.put({path: path, document: st.document, at: Date.now(), auth: ses ? ses.token : "",
             endpoint: ses ? ses.endpoint : data.endpoint});
    });
  }

  function drop(batch) {
    return tx("outbox", "readwrite", function (s) {
      batch.forEach(function (i) { s.delete(i.seq); });
    });
  }

  function refuse(item, status) {
    return tx(["outbox", "refused"], "readwrite", function (t) {
      t.objectStore("outbox").delete(item.seq);
      t.objectStore("refused").add({statement: item.statement, status: status});
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

  // A cmi5 statement of the session: its context template, the cmi5 category.
  function cmi5(verb, ses, result) {
    var template = ses.launchData.contextTemplate || {};
    var acts = JSON.parse(JSON.stringify(template.contextActivities || {}));
    acts.category = [{id: CMI5, objectType: "Activity"}];
    return stamp({actor: ses.actor, verb: {id: "http://adlnet.gov/expapi/verbs/" + verb, display: {"en-US": verb}},
                  object: {id: ses.activityId, objectType: "Activity"}, result: result,
                  context: {registration: ses.registration, contextActivities: acts,
                            language: doc.documentElement.lang}}, ses);
  }

  // Leaving the module by its way out ends the session: "terminated", with the time it lasted.
  function leave(e) {
    var a = e.target.closest && e.target.closest("a[data-exit]");
    if (!a) return;
    e.preventDefault();
    session().then(function (ses) {
      if (!ses || !ses.sessionId) return;
      var st = cmi5("terminated", ses, {duration: "PT" + Math.round((Date.now() - ses.started) / 10) / 100 + "S"});
      return tx(["sessions", "outbox"], "readwrite", function (t) {
        t.objectStore("sessions").delete(ses.registration);
        t.objectStore("outbox").add(st);
      }).then(function () {
        // Sent with keepalive, so that leaving the page does not stop it; not waited for long on a slow link.
        return Promise.race([flush(), new Promise(function (ok) { setTimeout(ok, 1500); })]);
      });
    }).catch(function () {}).then(function () { location.href = a.href; });
  }

  function keep(ses) {
    return tx("sessions", "readwrite", function (s) { return s.put(ses); });
  }

  function ready(ses) {
    if (!ses || ses.sessionId) return;
    var state = new URLSearchParams({activityId: ses.activityId, agent: JSON.stringify(ses.actor),
                                     registration: ses.registration, stateId: "LMS.LaunchData"});
    return fetch(ses.endpoint + "activities/state?" + state, {headers: lrs(ses.token), cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Error("LRS " + r.status);
      return r.json();
    }).then(function (ld) {
      ses.sessionId = ((ld.contextTemplate || {}).extensions || {})[SESSION];
      ses.launchData = ld;
      ses.started = Date.now();
      var st = cmi5("initialized", ses);
      // The session and its "initialized" are kept together, so that it is sent once, whatever happens.
      return tx(["sessions", "outbox"], "readwrite", function (t) {
        t.objectStore("sessions").put(ses);
        t.objectStore("outbox").add(st);
      });
    }).then(flush);
  }

  // Save for offline: the module's pages and files go into the cache the service worker reads.
  function saving() {
    var box = doc.getElementById("save"), off = data.offline;
    if (!box || !off || !navigator.serviceWorker || !window.caches) return;
    var button = box.querySelector("button"), status = box.querySelector("[role=status]");
    function saved() {
      status.textContent = button.getAttribute("data-saved");
      button.textContent = button.getAttribute("data-again");
    }
    box.hidden = false;
    caches.match(location.pathname, {ignoreVary: true}).then(function (page) { if (page) saved(); });
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = button.getAttribute("data-saving");
      navigator.serviceWorker.register(off.worker, {scope: off.scope}).then(function () {
        return caches.open("passerelle");
      }).then(function (cache) {
        return cache.addAll(off.urls);
      }).then(saved, function () {
        status.textContent = button.getAttribute("data-failed");
      }).then(function () { button.disabled = false; });
    });
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return values[k]; });
  }

  function given(form, name) {
    return [].filter.call(form.elements, function (i) {
      return i.name === name && (!/radio|checkbox/.test(i.type) || i.checked) && i.value.trim();
    }).map(function (i) { return i.value.trim().slice(0, 1000); });
  }

  function norm(text) { return text.toLowerCase().split(/\s+/).filter(Boolean).join(" "); }

  // The same rules as the server's (authoring.quiz.is_correct), from the answer key the page carries.
  function right(key, values) {
    if (key.correct) return values.map(Number).sort(function (a, b) { return a - b; }).join() === key.correct.join();
    if (key.number != null) {
      var n = Number(values[0].replace(/\s/g, "").replace(/,/g, "."));
      return !isNaN(n) && Math.abs(n - key.number) <= key.tolerance + 1e-9;
    }
    return key.answers.indexOf(norm(values[0])) >= 0;
  }

  function made(template, result) {
    var st = JSON.parse(JSON.stringify(template));
    st.result = result;
    return st;
  }

  // Graded here when the network is off: the statements the server would have made, then the result.
  // A quiz the server alone grades has no key here: its answers wait in the outbox, graded on arrival.
  function grade(form) {
    var quiz = data.quiz, points = 0, max = 0, batch = [], correct = {}, missing = [];
    quiz.questions.forEach(function (key) {
      var values = given(form, "q-" + key.id), ok = values.length && !quiz.server && right(key, values);
      max += key.points;
      if (!values.length) return missing.push(key.id);
      if (ok) points += key.points;
      correct[key.id] = ok;
      batch.push(made(key.statement, quiz.server ? {response: values.join("[,]")} :
                                                   {response: values.join("[,]"), success: !!ok}));
    });
    if (missing.length) return alarm(form, missing.length);
    if (quiz.server) return finish(form, batch, doc.getElementById("graded").content.cloneNode(true));
    var passed = points >= quiz.passMark * max - 1e-9, scaled = max ? points / max : 0;
    batch.push(made(passed ? quiz.passed : quiz.failed, {
      score: {raw: points, min: 0, max: max, scaled: Math.round(scaled * 1e4) / 1e4}, success: passed, completion: true
    }));
    var t = doc.getElementById("graded").content.cloneNode(true), lang = doc.documentElement.lang;
    var h = t.querySelector("h2"), score = t.querySelector(".score");
    h.textContent = h.getAttribute(passed ? "data-passed" : "data-failed");
    score.textContent = fill(score.getAttribute("data-text"), {
      points: points.toLocaleString(lang), max: max.toLocaleString(lang),
      percent: scaled.toLocaleString(lang, {style: "percent", maximumFractionDigits: 0})
    });
    quiz.questions.forEach(function (key) {
      var li = t.getElementById("result-" + key.id), mark = li.querySelector("strong");
      mark.textContent = mark.getAttribute(correct[key.id] ? "data-correct" : "data-incorrect");
      [].forEach.call(li.querySelectorAll("[data-option]"), function (f) {
        if (given(form, "q-" + key.id).indexOf(f.getAttribute("data-option")) < 0) f.remove();
      });
    });
    return finish(form, batch, t);
  }

  function answer(form) {
    var batch = [];
    data.survey.items.forEach(function (item) {
      var values = given(form, "s-" + item.id);
      if (values.length) batch.push(made(item.statement, {response: values[0]}));
    });
    if (!batch.length) return alarm(form, 0);
    batch.push(data.survey.completed);
    return finish(form, batch, doc.getElementById("graded").content.cloneNode(true));
  }

  function alarm(form, n) {
    var p = form.querySelector(".error");
    p.textContent = fill(p.getAttribute("data-text"), {n: n});
    p.hidden = false;
  }

  function finish(form, batch, shown) {
    var heading = shown.querySelector("h2");
    form.replaceWith(shown);
    heading.focus();
    return record(batch);
  }

  function offline() {
    var form = doc.querySelector("form.quiz");
    if (!form || !(data.quiz || data.survey)) return;
    form.addEventListener("submit", function (e) {
      if (navigator.onLine) return;  // online, the server grades and records
      e.preventDefault();
      (data.quiz ? grade : answer)(form);
    });
  }

  saving();
  offline();
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
  addEventListener("online", function () { wait = 0; flush(); });
  setInterval(function () { if (!busy && !timer) flush(); }, TICK);
  doc.addEventListener("click", leave);
  launch().catch(function () {}).then(function () {
    return session().then(function (ses) { return keepState(data.state, ses); });
  }).then(function () {
    return data.statements.length ? record(data.statements) : flush();
  }).then(function () {
    doc.documentElement.setAttribute("data-recorded", "");  // this page's statements are safe on the device
  });
  window.passerelle = {record: record, flush: flush};
})();
