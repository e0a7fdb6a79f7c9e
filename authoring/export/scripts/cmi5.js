// cmi5: the module as an AU (cmi5, "AU Requirements" and "Content Launch Mechanisms"). It reads the launch
// parameters, fetches its auth-token once, reads LMS.LaunchData, then sends initialized, completed, passed or failed
// (against the LMS's masteryScore; none of them in Browse or Review mode) and terminated last, each with the LMS's
// context template, and goes to the LMS's returnURL. Pages read are "cmi5 allowed" statements (no cmi5 category).

var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
var MOVE_ON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
var MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
var VERBS = "http://adlnet.gov/expapi/verbs/";
var PROGRESS = "passerelle.progress";  // the State API document this AU keeps its learner's place in

function uuid() {
  var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
  h = h.join("");
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
}

function duration(ms) { return "PT" + Math.round(ms / 10) / 100 + "S"; }

function clone(value) { return JSON.parse(JSON.stringify(value || {})); }

// Browsers let keepalive requests carry at most 64 KiB between them.
var KEEPALIVE_MAX = 60000;

var cmi5 = (function () {
  var q = new URLSearchParams(location.search);
  var endpoint = q.get("endpoint"), fetchUrl = q.get("fetch"), registration = q.get("registration");
  var activityId = q.get("activityId"), actor = null, auth = "", launchData = {}, began = 0, last = 0;
  var judged = false, failure = null;
  // What goes to the LRS goes one request after another: the statements made meanwhile (in the order they were
  // made) and the learner's place, as it last was. Once the page is left, nothing else is sent.
  var queue = Promise.resolve(), waiting = [], place = null, left = false;

  function headers() {
    return {"Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"};
  }

  function stateParams(stateId) {
    return new URLSearchParams({activityId: activityId, agent: JSON.stringify(actor), registration: registration,
                                stateId: stateId});
  }

  function read(path) {
    return fetch(endpoint + path, {headers: headers(), cache: "no-store"}).then(function (r) {
      if (r.status === 404) return null;
      if (!r.ok) throw new Error(path.split("?")[0] + ": HTTP " + r.status);
      return r.json();
    });
  }

  // The token is fetched once per launch: kept for the tab, a reload of the launch page uses it again.
  function token() {
    var kept = sessionStorage.getItem("cmi5-token " + fetchUrl);
    if (kept) return Promise.resolve(kept);
    return fetch(fetchUrl, {method: "POST", cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (j) {
        if (!j["auth-token"]) throw new Error(j["error-text"] || "no auth-token");
        sessionStorage.setItem("cmi5-token " + fetchUrl, j["auth-token"]);
        return j["auth-token"];
      });
  }

  // A statement with the LMS's context template, to which this AU only adds (cmi5 10.2.1).
  function statement(verb, result, defined, object) {
    var context = clone(launchData.contextTemplate), activities = context.contextActivities = context.contextActivities || {};
    context.registration = registration;
    if (!context.language) context.language = data.language;
    if (defined) {
      activities.category = (activities.category || []).concat([{id: CMI5, objectType: "Activity"}]);
      if (result && ("success" in result || "completion" in result)) {
        activities.category.push({id: MOVE_ON, objectType: "Activity"});
      }
    }
    last = Math.max(Date.now(), last + 1);  // in the order they happen, even within a millisecond
    var s = {id: uuid(), actor: actor, verb: {id: VERBS + verb, display: {"en-US": verb}},
             object: object || {id: activityId, objectType: "Activity"}, context: context,
             timestamp: new Date(last).toISOString()};
    if (result) s.result = result;
    return s;
  }

  // Every request is keepalive (if small enough), so that one under way when the learner leaves still arrives.
  function request(method, path, body) {
    return fetch(endpoint + path, {method: method, headers: headers(), body: body,
                                   keepalive: body.length <= KEEPALIVE_MAX}).then(function (r) {
      if (!r.ok) throw new Error(path.split("?")[0] + ": HTTP " + r.status);
    }).catch(function () { say(words.unsent); });
  }

  // The statements waiting, in one request, in the order they were made (an LRS keeps a batch's order).
  function postWaiting() {
    if (!waiting.length) return null;
    var batch = waiting;
    waiting = [];
    return request("POST", "statements", JSON.stringify(batch.length === 1 ? batch[0] : batch));
  }

  function putPlace() {
    if (place === null) return null;
    var doc = place;
    place = null;
    return request("PUT", "activities/state?" + stateParams(PROGRESS), doc);
  }

  // Statements wait while a request is under way, then go together; the returned promise is settled once this one
  // was sent.
  function send(s) {
    waiting.push(s);
    queue = queue.then(function () { return left ? null : postWaiting(); });
    return queue;
  }

  function save(state) {
    place = JSON.stringify({page: state.page, seen: Object.keys(state.seen), completed: state.completed,
                            passed: state.passed, score: state.score});
    queue = queue.then(function () { return left ? null : putPlace(); });
    return queue;
  }

  // The page is being left: nothing more can wait for an answer, so what waits goes at once, the learner's place
  // and then the statements, terminated last of them, in one request. (A request already under way was keepalive.)
  function leave() {
    if (left) return;
    left = true;
    putPlace();
    postWaiting();
  }

  function masteryExtension(context) {
    if (typeof launchData.masteryScore !== "number") return;
    var own = {};
    own[MASTERY] = launchData.masteryScore;
    context.extensions = Object.assign(own, context.extensions || {});
  }

  function judgement(verb, result) {
    var s = statement(verb, {success: verb === "passed", duration: duration(Date.now() - began),
                             score: {scaled: result.scaled, raw: result.raw, min: result.min, max: result.max}}, true);
    masteryExtension(s.context);
    return s;
  }

  return {
    start: function () {
      if (!endpoint || !fetchUrl || !registration || !activityId || !q.get("actor")) {
        return Promise.resolve({recording: false});
      }
      try {
        actor = JSON.parse(q.get("actor"));
      } catch (e) {
        return Promise.resolve({recording: false});
      }
      if (!/\/$/.test(endpoint)) endpoint += "/";
      return token().then(function (t) {
        auth = /^Basic /i.test(t) ? t : "Basic " + t;
        var profile = new URLSearchParams({agent: JSON.stringify(actor), profileId: "cmi5LearnerPreferences"});
        return Promise.all([
          read("activities/state?" + stateParams("LMS.LaunchData")),
          read("agents/profile?" + profile).catch(function () { return null; }),  // a 403 is no error (cmi5 11.0)
          read("activities/state?" + stateParams(PROGRESS)).catch(function () { return null; }),
        ]);
      }).then(function (found) {
        if (!found[0]) throw new Error("no LMS.LaunchData");
        launchData = found[0];
        began = Date.now();
        return send(statement("initialized", null, true)).then(function () {
          return {recording: true, mode: launchData.launchMode || "Normal", resume: found[2],
                  masteryScore: typeof launchData.masteryScore === "number" ? launchData.masteryScore : null};
        });
      }).catch(function (error) {
        return {recording: false, reason: words.notRecorded + " (" + error.message + ")"};
      });
    },
    page: function (id, state) {
      var page = data.pages.filter(function (p) { return p.id === id; })[0], name = {};
      name[data.language] = page.title;
      send(statement("experienced", null, false, {id: page.iri, objectType: "Activity",
        definition: {type: "http://adlnet.gov/expapi/activities/lesson", name: name}}));
      save(state);
    },
    completed: function () {
      send(statement("completed", {completion: true, duration: duration(Date.now() - began)}, true));
    },
    // passed at once; a failure waits for the end of the session, since a session judges once (cmi5 9.3) and the
    // learner may still pass in it. Once passed in the registration, neither is sent again.
    scored: function (result, state) {
      if (judged || result.passedBefore) return save(state);
      if (result.passed) {
        judged = true;
        send(judgement("passed", result));
      } else {
        failure = result;
      }
      save(state);
    },
    // On leaving the page, what is still waiting goes at once; from the Exit button, in turn. Either way
    // terminated is the last statement, after every one the session made.
    finish: function (state, leaving) {
      save(state);
      if (!judged && failure && !state.passed) {
        send(judgement("failed", failure));
      }
      var sent = send(statement("terminated", {duration: duration(Date.now() - began)}, true));
      if (leaving) {
        leave();
        return Promise.resolve(null);
      }
      window.addEventListener("pagehide", leave);  // the learner may not wait for the Exit button's requests
      return sent.then(function () { return launchData.returnURL || null; });
    },
  };
})();

run(cmi5);
