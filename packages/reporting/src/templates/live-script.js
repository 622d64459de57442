// Added by `aelab serve` to its study list and study pages: follows the server's JSON API
// and updates the page in place (no reload). The live charts are Vega views fed through
// vega's changeset API; the rest of the page (the same HTML as the static report) is
// swapped for the server's newer copy when the study's records change.
// The state comes as server-sent events (one stream per page, a message only when the
// state changed, the same message for every page); without EventSource, or when the
// server refuses the stream, the page polls, revalidating (no-cache): the server answers
// an unchanged state with a bodiless 304 and the browser hands back the copy it has.
(function () {
  var panel = document.getElementById('live');
  if (!panel) return;
  var api = panel.getAttribute('data-api');
  var version = panel.getAttribute('data-version');
  var interval = Number(panel.getAttribute('data-interval')) || 2000;
  var on = true;
  var busy = false;
  var polling = false;
  var pending = null;
  var swapping = false;
  var views = {};
  var source = null;
  var timer = null;
  var toggle = document.getElementById('live-toggle');
  // Observable state for people and tests: updates applied, page swaps, failed updates, and
  // how the state comes ('events' while a stream is open or reconnecting, else 'polls').
  var live = (window.aelabLive = {
    polls: 0,
    swaps: 0,
    failures: 0,
    chartUpdates: 0,
    transport: window.EventSource ? 'events' : 'polls',
  });

  function setText(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  toggle.addEventListener('click', function () {
    on = !on;
    toggle.setAttribute('aria-pressed', String(on));
    toggle.textContent = on ? 'Live: on' : 'Live: paused';
    if (on) start();
    else unfollow();
  });

  // Re-runs the page's own inline script (sorting, filters) on the swapped content; keeps typed filters.
  function swapMain() {
    return fetch(location.pathname + location.search, { cache: 'no-cache' })
      .then(function (response) {
        if (!response.ok) throw new Error('page: HTTP ' + response.status);
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        // The version the new copy shows (the server may hand out a page behind the records
        // for a while): the next poll asks again until they agree.
        var shown = doc.getElementById('live');
        if (shown) version = shown.getAttribute('data-version');
        var main = document.querySelector('main');
        var filters = {};
        Array.prototype.forEach.call(document.querySelectorAll('input[data-filter-for]'), function (input) {
          filters[input.getAttribute('data-filter-for')] = input.value;
        });
        Array.prototype.slice.call(main.children).forEach(function (el) {
          if (el !== panel) main.removeChild(el);
        });
        Array.prototype.forEach.call(doc.querySelector('main').children, function (el) {
          if (el.id !== 'live') main.appendChild(document.importNode(el, true));
        });
        Array.prototype.forEach.call(doc.querySelectorAll('script:not([src])'), function (old) {
          var script = document.createElement('script');
          script.textContent = old.textContent;
          document.body.appendChild(script);
        });
        Array.prototype.forEach.call(document.querySelectorAll('input[data-filter-for]'), function (input) {
          var value = filters[input.getAttribute('data-filter-for')];
          if (value) {
            input.value = value;
            input.dispatchEvent(new Event('input'));
          }
        });
        live.swaps++;
      });
  }

  function pointCount(spec) {
    return spec.data.reduce(function (n, d) {
      return n + (d.values ? d.values.length : 0);
    }, 0);
  }

  // Same chart shape: only its data changes, through a changeset. A new shape: a new view.
  function draw(name, spec) {
    var el = document.getElementById('live-' + name);
    if (!el || !window.vega) return null;
    if (!spec) {
      el.textContent = 'No data yet.';
      return null;
    }
    var shape = JSON.stringify(spec, function (key, value) {
      return key === 'values' ? undefined : value;
    });
    var current = views[name];
    el.setAttribute('data-points', String(pointCount(spec)));
    live.chartUpdates++;
    if (current && current.shape === shape) {
      spec.data.forEach(function (d) {
        if (d.values) current.view.change(d.name, vega.changeset().remove(vega.truthy).insert(d.values));
      });
      return current.view.runAsync();
    }
    if (current) current.view.finalize();
    el.textContent = '';
    var view = new vega.View(vega.parse(spec), { renderer: 'svg', container: el, hover: true });
    views[name] = { view: view, shape: shape };
    return view.runAsync();
  }

  function showRunning(trials) {
    var list = document.getElementById('live-running');
    if (!list) return;
    list.textContent = '';
    trials.forEach(function (t) {
      var item = document.createElement('li');
      item.setAttribute('data-trial', String(t.number));
      item.setAttribute('data-epoch', String(t.epoch));
      item.textContent = 'Trial #' + t.number + ' running: epoch ' + t.epoch + ' of ' + t.epochs;
      list.appendChild(item);
    });
  }

  function apply(state) {
    live.polls++;
    setText('live-updated', state.updatedAt);
    setText('live-error', '');
    if (state.state) setText('live-state', state.state);
    if (state.trials && state.trials.total !== undefined) {
      var t = state.trials;
      setText(
        'live-counts',
        t.total +
          ' trials: ' +
          t.complete +
          ' complete, ' +
          t.pruned +
          ' pruned, ' +
          t.failed +
          ' failed, ' +
          t.running +
          ' running',
      );
    }
    var jobs = [];
    if (state.charts) {
      jobs.push(draw('intermediate', state.charts.intermediate));
      jobs.push(draw('overTime', state.charts.overTime));
    }
    if (state.runningTrials) showRunning(state.runningTrials);
    // A study page follows the page the server has rendered; the study list, the records.
    var target = state.pageVersion === undefined ? state.version : state.pageVersion;
    if (target && target !== version && !swapping) {
      swapping = true;
      jobs.push(
        swapMain().then(
          function () {
            swapping = false;
          },
          function (error) {
            swapping = false;
            throw error;
          },
        ),
      );
    }
    return Promise.all(jobs);
  }

  function fail(error) {
    live.failures++;
    setText('live-error', 'update failed: ' + error.message);
  }

  // States are applied one at a time; one that arrives meanwhile waits, replaced by any newer one.
  function receive(state) {
    pending = state;
    if (busy) return;
    busy = true;
    (function next() {
      var newest = pending;
      pending = null;
      // A state that cannot be applied is a failure shown on the page; the next one is still taken.
      Promise.resolve(newest)
        .then(apply)
        .catch(fail)
        .then(function () {
          if (pending) next();
          else busy = false;
        });
    })();
  }

  function tick() {
    if (!on || polling || document.hidden || live.transport !== 'polls') return;
    polling = true;
    fetch(api, { cache: 'no-cache' })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(receive, fail)
      .then(function () {
        polling = false;
      });
  }

  function follow() {
    source = new EventSource(api);
    source.onmessage = function (event) {
      receive(JSON.parse(event.data));
    };
    source.addEventListener('failure', function (event) {
      fail(new Error(JSON.parse(event.data).error));
    });
    source.onerror = function () {
      // A lost stream is reopened by the browser itself; one refused outright (an HTTP error) is polled instead.
      if (source && source.readyState === EventSource.CLOSED) {
        source = null;
        live.transport = 'polls';
        fail(new Error('no event stream from the server: polling'));
        start();
      } else setText('live-error', 'connection lost: reconnecting');
    };
  }

  function unfollow() {
    if (source) source.close();
    source = null;
  }

  function start() {
    if (!on || document.hidden) return;
    if (live.transport === 'events') {
      if (!source) follow();
      return;
    }
    if (!timer) timer = setInterval(tick, interval);
    tick();
  }

  // A browser holds at most six connections to one server (HTTP/1.1), and each open stream
  // takes one: a page out of sight closes its stream and opens it again when shown.
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) unfollow();
    else start();
  });
  start();
})();
