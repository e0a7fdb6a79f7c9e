/* Passerelle's service worker: keeps the modules a learner saved readable with the network off.
   The player saves a module's pages and files in the cache "passerelle"; here, a saved page is
   fetched from the network first (and its saved copy refreshed) and read from the cache when the
   network fails; fingerprinted files (?v=) come from the cache at once. Statements and the other
   LRS requests (/xapi/, beside this worker) always go to the network: the player's outbox keeps them. */
"use strict";
var CACHE = "passerelle";
// Where Passerelle is: "" at the root of its site, "/learning" when mounted there in a host application.
var ROOT = location.pathname.replace(/\/sw\.js$/, "");

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (e) {
  var r = e.request, url = new URL(r.url);
  if (r.method !== "GET" || url.origin !== location.origin || url.pathname.indexOf(ROOT + "/xapi/") === 0) return;
  e.respondWith(caches.open(CACHE).then(function (cache) {
    return cache.match(r, {ignoreVary: true}).then(function (kept) {
      if (kept && url.searchParams.has("v")) return kept;
      return fetch(r).then(function (res) {
        if (kept && res.ok && !res.redirected) cache.put(r, res.clone());
        return res;
      }, function (err) {
        if (kept) return kept;
        // A module launched again while offline: open its saved page, with the session kept on the device.
        if (r.mode !== "navigate" || !/\/launch$/.test(url.pathname)) throw err;
        return cache.match(url.pathname.replace(/launch$/, ""), {ignoreVary: true}).then(function (page) {
          if (!page) throw err;
          return page;
        });
      });
    });
  }));
});
