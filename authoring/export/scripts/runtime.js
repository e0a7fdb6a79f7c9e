// The launch page of a module as an AU (an export's, or a build's package's): it shows the module's pages in a
// frame, follows which ones the learner reads, grades the quiz in the browser and tells the standard's adapter
// (cmi5.js or scorm12.js, which follows this file in the package's runtime.js) what happened. The pages themselves
// are the build's, untouched: they run no script, and read the same without one.
//
// An adapter is {start(), page(id, state), completed(state), scored(result, state), finish(state, leaving)}:
// start() resolves to {recording, mode, masteryScore, resume, reason}; finish() to the address to go to, if any.
//
// A build's package has one launch page for every module: its address names the module (and may name the
// language), and the module's data in that language is read from <language>.json beside the page.

var data = JSON.parse(document.getElementById("module-data").textContent);
var words = data.words;
var frame = document.getElementById("page");
var statusLine = document.getElementById("status");

// The language asked for in the address, else the first of the browser's the package has, else the course's own.
function chosenLanguage(asked) {
  var wanted = (asked ? [asked] : []).concat(navigator.languages || [navigator.language || ""]);
  for (var i = 0; i < wanted.length; i++) {
    var code = String(wanted[i]).toLowerCase();
    for (var j = 0; j < data.languages.length; j++) {
      var own = data.languages[j].toLowerCase();
      if (code === own || code.split("-")[0] === own) return data.languages[j];
    }
  }
  return data.language;
}

// The module's data, in the page (an export's launch page) or read for the module the address names.
function loaded() {
  if (data.pages) return Promise.resolve();
  var q = new URLSearchParams(location.search), slug = q.get("module"), language = chosenLanguage(q.get("language"));
  return fetch(language + ".json").then(function (r) {
    if (!r.ok) throw new Error(language + ".json: HTTP " + r.status);
    return r.json();
  }).then(function (found) {
    var module = Object.prototype.hasOwnProperty.call(found.modules, slug) ? found.modules[slug] : null;
    if (!module) throw new Error("no module " + JSON.stringify(slug));
    words = found.words;
    data = module;
    document.documentElement.lang = found.language;
    document.documentElement.dir = found.direction;
    document.title = frame.title = module.title;
    if (module.quiz) {
      var link = document.getElementById("quiz-link");
      link.href = module.base + "quiz.html";
      link.textContent = module.quiz.title;
      link.hidden = false;
    }
    if (module.quizElsewhere) {  // graded on the server only: neither the quiz nor its key is in the package
      var note = document.getElementById("quiz-elsewhere");
      note.textContent = words.quizElsewhere;
      note.hidden = false;
    }
    frame.src = module.base + "index.html";
  });
}

function say(text) { statusLine.textContent = text; }

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
}

// The learner's page ids by the path of their file, so that a page is known wherever the frame was sent to it.
function pageAt(win) {
  var path;
  if (!data.pages) return null;  // not known yet
  try { path = win.location.pathname; } catch (e) { return null; }  // a page of another site: not ours
  for (var i = 0; i < data.pages.length; i++) {
    if (new URL(data.base + data.pages[i].id + ".html", location.href).pathname === path) return data.pages[i].id;
  }
  return new URL(data.base + "quiz.html", location.href).pathname === path ? "quiz" : null;
}

function normalise(text) { return text.toLowerCase().split(/\s+/).filter(Boolean).join(" "); }

function number(text) {
  var n = Number(String(text).replace(/\s+/g, "").replace(",", "."));
  return text.trim() === "" || isNaN(n) ? null : n;
}

// The same check as authoring.quiz.is_correct, from the answer key the page carries.
function isCorrect(key, values) {
  if (key.correct) {
    var chosen = values.map(Number).sort().join(","), right = key.correct.slice().sort().join(",");
    return chosen === right;
  }
  var given = values[0] || "";
  if (key.kind === "number") {
    var n = number(given);
    return n !== null && Math.abs(n - key.number) <= key.tolerance + 1e-9;
  }
  return key.answers.indexOf(normalise(given)) >= 0;
}

function run(adapter) {
  var state = {seen: {}, page: null, completed: false, passed: false, score: null};
  var launch = null, ended = false, mastery = data.masteryScore;

  // Nothing is reported once the session ended: terminated is its last statement, LMSFinish its last call.
  function judging() { return launch && launch.recording && !ended && launch.mode === "Normal"; }

  function shown() {
    var win = frame.contentWindow, id = pageAt(win);
    if (id === "quiz") return data.quiz ? hookQuiz(win.document) : undefined;
    if (!id) return;
    state.page = id;
    state.seen[id] = true;
    if (launch) report(id);
  }

  function report(id) {
    if (!launch.recording || ended) return;
    var all = data.pages.every(function (p) { return state.seen[p.id]; });
    if (all && !state.completed && judging()) {
      state.completed = true;
      adapter.completed(state);
    }
    adapter.page(id, state);
  }

  function hookQuiz(doc) {
    var form = doc.getElementById("quiz");
    if (!form || form.dataset.graded) return;
    form.dataset.graded = "yes";
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      grade(doc, form);
    });
  }

  function grade(doc, form) {
    var points = 0, max = 0;
    data.quiz.questions.forEach(function (key) {
      var values = Array.prototype.filter.call(form.elements, function (el) {
        return el.name === key.id && (el.type !== "radio" && el.type !== "checkbox" || el.checked);
      }).map(function (el) { return el.value; });
      var right = isCorrect(key, values), box = doc.getElementById("question-" + key.id);
      max += key.points;
      if (right) points += key.points;
      var mark = box.querySelector(".mark"), feedback = box.querySelector(".feedback");
      mark.textContent = right ? words.correct : words.incorrect;
      mark.hidden = false;
      if (feedback) feedback.hidden = false;
    });
    var scaled = max ? points / max : 0, passed = points >= mastery * max - 1e-9;
    var percent = function (x) { return String(Math.round(x * 1000) / 10); };
    doc.getElementById("quiz-result").textContent = fill(passed ? words.passed : words.failed,
                                                         {score: percent(scaled), mark: percent(mastery)});
    var result = {scaled: Math.round(scaled * 10000) / 10000, raw: points, min: 0, max: max, passed: passed,
                  passedBefore: state.passed};
    if (judging()) {
      state.score = state.score === null ? result.scaled : Math.max(state.score, result.scaled);
      state.passed = state.passed || passed;
      adapter.scored(result, state);
    }
  }

  function finish(leaving) {
    if (ended || !launch) return;
    ended = true;
    (launch.recording ? adapter.finish(state, leaving) : Promise.resolve(null)).then(function (next) {
      if (leaving) return;
      if (next) location.href = next; else say(words.closed);
    });
  }

  frame.addEventListener("load", shown);
  document.getElementById("exit").addEventListener("click", function () { finish(false); });
  window.addEventListener("pagehide", function () { finish(true); });
  say(words.connecting);

  loaded().then(function () {
    mastery = data.masteryScore;
    say(words.connecting);
    return adapter.start();
  }, function (error) {
    say(words.notRecorded + " (" + error.message + ")");
    return new Promise(function () {});  // no module to show: nothing to record
  }).then(function (started) {
    launch = started;
    if (launch.masteryScore !== null && launch.masteryScore !== undefined) mastery = launch.masteryScore;
    var kept = launch.resume || {};
    (kept.seen || []).forEach(function (id) { state.seen[id] = true; });
    state.completed = !!kept.completed;
    state.passed = !!kept.passed;
    state.score = typeof kept.score === "number" ? kept.score : null;
    say(!launch.recording ? launch.reason || words.notRecorded : launch.mode !== "Normal" ? words.browse :
        words.recording);
    var current = pageAt(frame.contentWindow);
    var resumeAt = kept.page && data.pages.some(function (p) { return p.id === kept.page; }) ? kept.page : null;
    if (resumeAt && (!current || current !== resumeAt) && !state.page) {
      frame.src = data.base + resumeAt + ".html";  // back where the learner stopped
    } else if (state.page) {
      report(state.page);
    }
  });
}
