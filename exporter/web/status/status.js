// The status page's refresh. Every data-refresh seconds it asks the server
// for the page's live parts again (`?fragment=1`: a <template> per part,
// rendered by the same code as the first paint) and puts each in place of
// the content of the page's element with the same id. It renders nothing
// itself, so what it shows is the server's markup, escaped there. Between
// two refreshes it compares the roles and target states the page shows and
// lists what changed, for as long as the page stays open (newest first).
(function () {
  'use strict';
  var ARROW = ' \u2192 ';
  var refreshMs = Math.max(1, Number(document.body.getAttribute('data-refresh')) || 5) * 1000;
  var updated = document.getElementById('updated');
  var polls = 0, lastGood = updated.textContent, changes = [];

  function clock(iso) { return iso.substr(11, 8) + ' UTC'; }

  // What the page shows now: the role of each node by cluster, shard and
  // target, and the state of each target.
  function snapshot() {
    var roles = {}, states = {};
    document.querySelectorAll('#clusters tr[data-role]').forEach(function (row) {
      var cluster = row.closest('[data-cluster]').getAttribute('data-cluster');
      var shard = row.closest('[data-shard]').getAttribute('data-shard');
      roles[JSON.stringify([cluster, shard, row.getAttribute('data-target')])] = {
        cluster: cluster, shard: shard,
        node: row.getAttribute('data-node'), role: row.getAttribute('data-role')
      };
    });
    document.querySelectorAll('#targets tr[data-target]').forEach(function (row) {
      states[row.getAttribute('data-target')] = {
        up: row.getAttribute('data-state') === 'up',
        error: row.querySelector('.error').textContent
      };
    });
    return {roles: roles, states: states};
  }
  function note(when, text) {
    changes.unshift({when: when, text: text});
    changes.length = Math.min(changes.length, 50);
    var section = document.getElementById('changes');
    section.hidden = false;
    var list = section.querySelector('ol');
    list.replaceChildren.apply(list, changes.map(function (change) {
      var item = document.createElement('li');
      var time = document.createElement('time');
      time.textContent = clock(change.when);
      item.append(time, change.text);
      return item;
    }));
  }
  function compare(before, after, when) {
    Object.keys(after.states).forEach(function (name) {
      var a = after.states[name], b = before.states[name];
      if (b && a.up !== b.up) {
        note(when, 'target ' + name + ': ' + (b.up ? 'up' : 'down') + ARROW +
          (a.up ? 'up' : 'down (' + a.error + ')'));
      }
    });
    Object.keys(after.roles).forEach(function (key) {
      var a = after.roles[key], b = before.roles[key];
      if (b && a.role !== b.role) {
        note(when, a.cluster + ' / shard ' + a.shard + ': ' + a.node + ' ' +
          b.role + ARROW + a.role);
      }
    });
  }
  // The fragment is parsed as an inert document: nothing in it loads or runs.
  function swap(fragment) {
    fragment.querySelectorAll('template[id]').forEach(function (part) {
      document.getElementById(part.id).replaceChildren(part.content);
    });
  }

  function poll() {
    fetch('?fragment=1', {cache: 'no-store'})
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (text) {
        var fragment = new DOMParser().parseFromString(text, 'text/html');
        var generatedAt = fragment.body.getAttribute('data-generated-at');
        var before = snapshot();
        swap(fragment);
        compare(before, snapshot(), generatedAt);
        polls++;
        lastGood = 'updated ' + clock(generatedAt);
        updated.textContent = lastGood;
        updated.className = 'live';
        updated.setAttribute('data-polls', String(polls));
        updated.setAttribute('data-generated-at', generatedAt);
      })
      .catch(function (error) {
        updated.textContent = 'not updating (' + error.message + '); ' + lastGood;
        updated.className = 'stale';
      })
      .then(function () { setTimeout(poll, refreshMs); });
  }

  updated.className = 'live';
  updated.title = 'refreshed every ' + refreshMs / 1000 + ' s';
  setTimeout(poll, refreshMs);
})();
