// SCORM 1.2: the module as a SCO. It finds the LMS's API object in a window above it (or its opener's), and keeps
// there the lesson status (incomplete, completed, passed or failed), the score, the page to resume at, the pages read
// (cmi.suspend_data, at most 4,096 characters) and the time of the session, committing as it goes.

var MAX_SUSPEND = 4096;

// The search of the SCORM 1.2 run-time guide: up through the parents, then the opener's.
function findAPI(win) {
  for (var tries = 0; win && tries < 500; tries++) {
    try {
      if (win.API) return win.API;
    } catch (e) {
      return null;  // a window of another site: the API is not there
    }
    if (!win.parent || win.parent === win) return null;
    win = win.parent;
  }
  return null;
}

// CMITimespan: HHHH:MM:SS.SS.
function timespan(ms) {
  var cs = Math.round(ms / 10), h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60, s = (cs % 6000) / 100;
  var two = function (n) { return (n < 10 ? "0" : "") + n; };
  return (h < 10 ? "000" : h < 100 ? "00" : h < 1000 ? "0" : "") + h + ":" + two(m) + ":" +
    (s < 10 ? "0" : "") + s.toFixed(2);
}

var scorm12 = (function () {
  var api = null, began = 0, hasQuiz = !!data.quiz;

  function get(name) { return String(api.LMSGetValue(name) || ""); }
  function set(name, value) { api.LMSSetValue(name, String(value)); }
  function commit() { api.LMSCommit(""); }

  // The pages read, one character each ("1" read, "0" not), then the best score and whether it was a pass.
  function suspendData(state) {
    var text = JSON.stringify({s: data.pages.map(function (p) { return state.seen[p.id] ? "1" : "0"; }).join(""),
                               b: state.score, p: state.passed ? 1 : 0, c: state.completed ? 1 : 0});
    return text.length <= MAX_SUSPEND ? text : JSON.stringify({b: state.score, p: state.passed ? 1 : 0});
  }

  function resumed() {
    var kept = {}, seen = [];
    try { kept = JSON.parse(get("cmi.suspend_data") || "{}"); } catch (e) { kept = {}; }
    String(kept.s || "").split("").forEach(function (c, i) { if (c === "1" && data.pages[i]) seen.push(data.pages[i].id); });
    return {page: get("cmi.core.lesson_location") || null, seen: seen, score: typeof kept.b === "number" ? kept.b : null,
            passed: kept.p === 1, completed: kept.c === 1};
  }

  // The status a learner has earned. A module the course needs passed is passed or failed by its quiz, and
  // incomplete until then; one it needs completed is completed once every page is read, unless its quiz was passed.
  function status(state, tried) {
    if (hasQuiz && state.passed) return "passed";
    if (data.moveOn === "CompletedAndPassed") return tried ? "failed" : "incomplete";
    return state.completed ? "completed" : hasQuiz && tried ? "failed" : "incomplete";
  }

  var tried = false;

  return {
    start: function () {
      try { api = findAPI(window) || (window.opener ? findAPI(window.opener) : null); } catch (e) { api = null; }
      if (!api || String(api.LMSInitialize("")) !== "true") return Promise.resolve({recording: false});
      began = Date.now();
      var mode = get("cmi.core.lesson_mode"), mastery = parseFloat(get("cmi.student_data.mastery_score"));
      var resume = resumed();
      tried = resume.score !== null;
      if (get("cmi.core.lesson_status") === "not attempted" && (mode === "" || mode === "normal")) {
        set("cmi.core.lesson_status", "incomplete");
        commit();
      }
      return Promise.resolve({recording: true, mode: mode === "browse" ? "Browse" : mode === "review" ? "Review" : "Normal",
                              masteryScore: isNaN(mastery) ? null : mastery / 100, resume: resume});
    },
    page: function (id, state) {
      set("cmi.core.lesson_location", id);
      set("cmi.suspend_data", suspendData(state));
      commit();
    },
    completed: function (state) {
      set("cmi.core.lesson_status", status(state, tried));
      commit();
    },
    scored: function (result, state) {
      tried = true;
      set("cmi.core.score.min", 0);
      set("cmi.core.score.max", 100);
      set("cmi.core.score.raw", Math.round(state.score * 100));  // the best score the learner made
      set("cmi.core.lesson_status", status(state, tried));
      set("cmi.suspend_data", suspendData(state));
      commit();
    },
    finish: function (state) {
      set("cmi.core.session_time", timespan(Date.now() - began));
      set("cmi.core.exit", state.passed || (!hasQuiz && state.completed) ? "" : "suspend");
      set("cmi.suspend_data", suspendData(state));
      commit();
      api.LMSFinish("");
      return Promise.resolve(null);
    },
  };
})();

run(scorm12);
