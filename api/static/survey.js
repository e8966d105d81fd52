/* Progressive enhancement of the residents' form; everything works without it.
 *
 * - keeps a copy of the answers in localStorage (per client id) and puts back any the page lost;
 * - autosaves the page to the server draft shortly after each change, and when the page is
 *   hidden (a phone call, switching apps), so reopening the link resumes where it stopped;
 * - shows or hides questions whose rule is "${code} = 'value'" on the same page;
 * - forgets the browser copy once the receipt page says the answers were stored.
 */
(function () {
  "use strict";

  var PREFIX = "meihao:draft:";
  var META = { client_id: 1, page: 1, csrf_token: 1, website: 1, action: 1, started: 1 };

  function storage() {
    try {
      var probe = PREFIX + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null; // private mode or disabled: the server draft still works
    }
  }

  var store = storage();
  var receipt = document.querySelector("[data-clear-draft]");
  if (receipt && store) {
    store.removeItem(PREFIX + receipt.getAttribute("data-clear-draft"));
  }

  var form = document.getElementById("survey-form");
  if (!form) {
    return;
  }
  var key = PREFIX + form.getAttribute("data-client-id");
  var status = document.getElementById("save-status");
  var dirty = false;
  var timer = null;

  function answerNames() {
    var names = [];
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      if (el.name && !META[el.name] && names.indexOf(el.name) < 0) {
        names.push(el.name);
      }
    }
    return names;
  }

  function inputsOf(name) {
    var found = [];
    for (var i = 0; i < form.elements.length; i++) {
      if (form.elements[i].name === name) {
        found.push(form.elements[i]);
      }
    }
    return found;
  }

  function valueOf(name) {
    var inputs = inputsOf(name);
    if (inputs[0].type === "checkbox") {
      return inputs.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
    }
    if (inputs[0].type === "radio") {
      var checked = inputs.filter(function (el) { return el.checked; })[0];
      return checked ? checked.value : "";
    }
    return inputs[0].value;
  }

  function isEmpty(value) {
    return value === "" || (Array.isArray(value) && value.length === 0);
  }

  function load() {
    if (!store) {
      return {};
    }
    try {
      return JSON.parse(store.getItem(key) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function remember() {
    if (!store) {
      return;
    }
    var data = load();
    answerNames().forEach(function (name) { data[name] = valueOf(name); });
    try {
      store.setItem(key, JSON.stringify(data));
    } catch (e) { /* storage full: the server draft remains */ }
  }

  function restore() {
    // Only fill what the page shows empty: the server's draft wins where it has an answer.
    var data = load();
    answerNames().forEach(function (name) {
      var saved = data[name];
      if (saved === undefined || isEmpty(saved) || !isEmpty(valueOf(name))) {
        return;
      }
      inputsOf(name).forEach(function (el) {
        if (el.type === "checkbox") {
          el.checked = saved.indexOf(el.value) >= 0;
        } else if (el.type === "radio") {
          el.checked = el.value === saved;
        } else {
          el.value = saved;
        }
      });
      dirty = true;
    });
  }

  function applyConditions() {
    var items = form.querySelectorAll("[data-show-if]");
    for (var i = 0; i < items.length; i++) {
      var code = items[i].getAttribute("data-show-if");
      if (inputsOf(code).length === 0) {
        continue; // decided on an earlier page: the server already chose to show it
      }
      var value = valueOf(code);
      var wanted = items[i].getAttribute("data-show-value");
      items[i].hidden = Array.isArray(value) ? value.indexOf(wanted) < 0 : value !== wanted;
    }
  }

  function autosave() {
    if (!dirty || !window.fetch || !window.FormData) {
      return Promise.resolve();
    }
    dirty = false;
    return window.fetch(form.getAttribute("data-draft-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (response.ok && status) {
        status.textContent = status.getAttribute("data-saved");
      } else if (!response.ok) {
        dirty = true; // try again with the next change; the browser copy is kept meanwhile
      }
    }).catch(function () {
      dirty = true;
    });
  }

  function changed() {
    dirty = true;
    if (status) {
      status.textContent = "";
    }
    remember();
    applyConditions();
    window.clearTimeout(timer);
    timer = window.setTimeout(autosave, 800);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target.type === "text" || event.target.tagName === "TEXTAREA") {
      changed();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty && navigator.sendBeacon) {
      if (navigator.sendBeacon(form.getAttribute("data-draft-url"), new FormData(form))) {
        dirty = false;
      }
    }
  });

  var switcher = document.querySelector(".lang-switch");
  if (switcher) {
    switcher.addEventListener("click", function (event) {
      if (!dirty) {
        return;
      }
      event.preventDefault();
      var target = switcher.href;
      autosave().then(function () { window.location.href = target; });
    });
  }

  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) {
      event.preventDefault(); // a second tap while the first is on its way
      return;
    }
    sending = true;
    dirty = false;
    window.clearTimeout(timer);
    window.setTimeout(function () { sending = false; }, 8000);
  });

  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
  restore();
  applyConditions();
  if (dirty) {
    timer = window.setTimeout(autosave, 800); // answers only this browser had: store them too
  }
})();
