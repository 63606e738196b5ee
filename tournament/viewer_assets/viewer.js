// The bttt game viewer: filters, a paged game list and a board to step through (see tournament/viewer.py).
(function () {
  "use strict";
  var DATA = window.BTTT_GAMES;
  var PAGE_SIZE = 50;
  var CELL = 56, MARGIN = 28;
  var SVG = "http://www.w3.org/2000/svg";
  var $ = function (id) { return document.getElementById(id); };
  if (!DATA || DATA.format !== "bttt-viewer-games") {
    document.body.insertAdjacentHTML("afterbegin", "<p><b>games-data.js is missing or not a bttt game list.</b></p>");
    return;
  }
  var ROWS = DATA.rows, COLS = DATA.cols, LETTERS = "ABCDEFG";
  var view = { agent: "", cell: "", colour: "", result: "", page: 0, game: null, ply: 0 };
  var matches = [];

  function cellName(i) { return LETTERS[Math.floor(i / COLS)] + (i % COLS + 1); }
  function cellIndex(name) { return LETTERS.indexOf(name[0].toUpperCase()) * COLS + parseInt(name.slice(1), 10) - 1; }
  function bricks(g) { return g.layout === "none" ? [] : g.layout.split("+"); }
  function moves(g) { return g.moves ? g.moves.split(",") : []; }
  function agentIndex(label) {
    for (var i = 0; i < DATA.agents.length; i++) if (DATA.agents[i].label === label) return i;
    return -1;
  }
  function outcome(g, seat) {
    if (g.winner === 0) return "draw";
    return g.winner === seat ? "win" : "loss";
  }
  function resultText(g) {
    if (g.termination === "crash") return "no result";
    return g.winner === 0 ? "draw" : (g.winner === 1 ? "O wins" : "X wins");
  }
  function el(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function seconds(t) {
    if (t >= 1) return t.toFixed(2) + " s";
    return t >= 1e-3 ? (t * 1000).toFixed(1) + " ms" : Math.round(t * 1e6) + " µs";
  }

  // ------------------------------------------------------------------ filters and the list
  function filterGames() {
    var a = view.agent ? agentIndex(view.agent) : -1;
    matches = DATA.games.filter(function (g) {
      if (view.cell && bricks(g).indexOf(view.cell) < 0) return false;
      var seat = 1;
      if (a >= 0) {
        var seats = [];
        if (g.o === a) seats.push(1);
        if (g.x === a) seats.push(2);
        if (!seats.length) return false;
        if (view.colour) {
          seat = view.colour === "O" ? 1 : 2;
          if (seats.indexOf(seat) < 0) return false;
        } else {
          seat = seats[0];
        }
      }
      return !view.result || outcome(g, seat) === view.result;
    });
  }

  function fillSelects() {
    var agentSel = $("f-agent");
    DATA.agents.forEach(function (a) {
      var o = document.createElement("option");
      o.value = a.label; o.textContent = a.label;
      agentSel.appendChild(o);
    });
    var cells = {};
    DATA.games.forEach(function (g) { bricks(g).forEach(function (c) { cells[c] = true; }); });
    Object.keys(cells).sort(function (p, q) { return cellIndex(p) - cellIndex(q); }).forEach(function (c) {
      var o = document.createElement("option");
      o.value = c; o.textContent = c;
      $("f-cell").appendChild(o);
    });
  }

  function renderList() {
    var pages = Math.max(1, Math.ceil(matches.length / PAGE_SIZE));
    view.page = Math.min(Math.max(view.page, 0), pages - 1);
    var tbody = document.querySelector("#games tbody");
    tbody.textContent = "";
    matches.slice(view.page * PAGE_SIZE, (view.page + 1) * PAGE_SIZE).forEach(function (g) {
      var tr = document.createElement("tr");
      tr.dataset.id = g.id;
      if (view.game && view.game.id === g.id) tr.className = "selected";
      [g.id, DATA.agents[g.o].label, DATA.agents[g.x].label, g.layout, resultText(g), moves(g).length].forEach(
        function (v) {
          var td = document.createElement("td");
          td.textContent = v; td.title = v;
          tr.appendChild(td);
        });
      tr.addEventListener("click", function () { selectGame(g, 0); });
      tbody.appendChild(tr);
    });
    $("count").textContent = matches.length + " of " + DATA.games.length + " games match";
    $("page").textContent = "page " + (view.page + 1) + " of " + pages;
    $("prev-page").disabled = view.page === 0;
    $("next-page").disabled = view.page >= pages - 1;
    $("f-colour").disabled = !view.agent;
  }

  // ------------------------------------------------------------------ one game
  function selectGame(g, ply) {
    view.game = g;
    view.ply = Math.max(0, Math.min(ply, moves(g).length));
    var pos = matches.indexOf(g);
    if (pos >= 0) view.page = Math.floor(pos / PAGE_SIZE);
    renderList();
    renderGame();
    writeHash();
  }

  function renderInfo(g) {
    var o = DATA.agents[g.o], x = DATA.agents[g.x];
    var opening = g.opening ? "opening " + escapeHtml(g.opening.split(":")[1]) + " (" + g.opening_plies + " plies)"
      : "from the empty board";
    var end = escapeHtml(resultText(g));
    if (g.termination === "draw") end += ": the board is full";
    else if (g.termination === "win") end += ": " + DATA.win_length + " in a row";
    else if (g.fault_player) {
      end += ": " + (g.fault_player === 1 ? "O" : "X") + " lost by " + escapeHtml(g.termination) + " (" +
        escapeHtml(g.fault_detail) + ")";
    } else end += ": " + escapeHtml(g.termination) + " (" + escapeHtml(g.fault_detail || "") + ")";
    var train = function (a) { return a.training_cells ? " [trained on " + a.training_cells.join(" ") + "]" : ""; };
    $("info").innerHTML = "<b>Game " + g.id + "</b>: <span class='o'>O</span> " + escapeHtml(o.label) + train(o) +
      " vs <span class='x'>X</span> " + escapeHtml(x.label) + train(x) + "<br>bricks " + escapeHtml(g.layout) +
      ", " + opening + ", game " + g.index + " of its pairing, seed " + g.seed + "<br>" + end;
  }

  function drawBoard(g, ply) {
    var svg = $("board");
    var size = MARGIN + COLS * CELL + 4, height = ROWS * CELL + MARGIN + 4;
    svg.setAttribute("viewBox", "0 0 " + size + " " + height);
    svg.textContent = "";
    var defs = el("defs", {});
    var pat = el("pattern", { id: "brick", width: 28, height: 14, patternUnits: "userSpaceOnUse" });
    pat.appendChild(el("rect", { width: 28, height: 14, fill: "#9c4a24" }));
    pat.appendChild(el("path", { d: "M0 0.5H28M0 7.5H28M7 0V7M21 7V14", stroke: "#e3c9ae", "stroke-width": 1.4 }));
    defs.appendChild(pat);
    svg.appendChild(defs);
    var ms = moves(g).slice(0, ply);
    var owner = {}, number = {};
    ms.forEach(function (m, i) { owner[m] = i % 2 === 0 ? "O" : "X"; number[m] = i + 1; });
    var brick = {};
    bricks(g).forEach(function (b) { brick[b] = true; });
    var last = ply > 0 ? ms[ply - 1] : null;
    for (var r = 0; r < ROWS; r++) {
      svg.appendChild(el("text", { x: MARGIN / 2, y: r * CELL + CELL / 2, "class": "label" }, LETTERS[r]));
      for (var c = 0; c < COLS; c++) {
        var name = cellName(r * COLS + c), x0 = MARGIN + c * CELL, y0 = r * CELL;
        var stone = brick[name] ? "B" : (owner[name] || "");
        var group = el("g", { "data-cell": name, "data-stone": stone });
        group.appendChild(el("rect", { x: x0, y: y0, width: CELL, height: CELL, "class": "cell" + (name === last ? " last" : "") }));
        var cx = x0 + CELL / 2, cy = y0 + CELL / 2;
        if (stone === "B") {
          group.appendChild(el("rect", { x: x0 + 3, y: y0 + 3, width: CELL - 6, height: CELL - 6, fill: "url(#brick)" }));
        } else if (stone === "O") {
          group.appendChild(el("circle", { cx: cx, cy: cy, r: CELL * 0.32, "class": "o-stone" }));
        } else if (stone === "X") {
          var d = CELL * 0.27;
          group.appendChild(el("path", { d: "M" + (cx - d) + " " + (cy - d) + "L" + (cx + d) + " " + (cy + d) +
            "M" + (cx + d) + " " + (cy - d) + "L" + (cx - d) + " " + (cy + d), "class": "x-stone" }));
        }
        if (number[name]) group.appendChild(el("text", { x: x0 + CELL - 9, y: y0 + 9, "class": "num" }, number[name]));
        svg.appendChild(group);
      }
    }
    for (var k = 0; k < COLS; k++) {
      svg.appendChild(el("text", { x: MARGIN + k * CELL + CELL / 2, y: ROWS * CELL + MARGIN / 2 + 2, "class": "label" }, k + 1));
    }
    if (g.line && ply === moves(g).length) {
      var cells = g.line.split(",").map(cellIndex);
      var centre = function (i) { return [MARGIN + (i % COLS) * CELL + CELL / 2, Math.floor(i / COLS) * CELL + CELL / 2]; };
      var a = centre(cells[0]), b = centre(cells[cells.length - 1]);
      svg.appendChild(el("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], "class": "win", "data-line": g.line }));
    }
  }

  function renderMoves(g) {
    var list = $("moves");
    list.textContent = "";
    moves(g).forEach(function (m, i) {
      var li = document.createElement("li");
      var k = i - g.opening_plies;
      var took = k >= 0 && k < g.times.length ? " " + seconds(g.times[k]) : "";
      li.textContent = (i % 2 === 0 ? "O " : "X ") + m + (k < 0 ? " (opening)" : took);
      var a = g.analysis && g.analysis[i];
      if (k < 0) li.className = "opening";
      if (a) { li.className += " verdict-" + a.verdict; li.title = a.verdict + "; after it: " + a.value; }
      if (i + 1 === view.ply) li.className += " current";
      li.dataset.ply = i + 1;
      li.addEventListener("click", function () { selectGame(g, i + 1); });
      list.appendChild(li);
    });
  }

  function renderGame() {
    var g = view.game;
    if (!g) {
      $("info").textContent = matches.length ? "Choose a game in the list." : "No game matches the filters.";
      $("board").textContent = ""; $("moves").textContent = ""; $("ply").textContent = ""; $("value").textContent = "";
      return;
    }
    var n = moves(g).length;
    renderInfo(g);
    drawBoard(g, view.ply);
    renderMoves(g);
    $("ply").textContent = "ply " + view.ply + " of " + n;
    var a = view.ply > 0 && g.analysis ? g.analysis[view.ply - 1] : null;
    var text = "";
    if (a) text = "After ply " + view.ply + ": " + a.value + " (" + a.verdict + ")";
    else if (view.ply === n) text = resultText(g) + (g.line ? " with " + g.line.split(",").join(" ") : "");
    $("value").textContent = text;
    $("value").className = a ? "verdict-" + a.verdict : "";
    $("first").disabled = $("back-ply").disabled = view.ply === 0;
    $("last").disabled = $("next-ply").disabled = view.ply === n;
  }

  function step(delta) {
    if (view.game) selectGame(view.game, view.ply + delta);
  }

  function neighbourGame(delta) {
    if (!matches.length) return;
    var pos = view.game ? matches.indexOf(view.game) : -1;
    var next = matches[Math.max(0, Math.min(matches.length - 1, pos + delta))];
    if (next && next !== view.game) selectGame(next, 0);
  }

  // ------------------------------------------------------------------ the address keeps the view
  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ""));
    view.agent = p.get("agent") || "";
    view.cell = p.get("cell") || "";
    view.colour = p.get("colour") || "";
    view.result = p.get("result") || "";
    if (view.agent && agentIndex(view.agent) < 0) view.agent = "";
    $("f-agent").value = view.agent; $("f-cell").value = view.cell;
    $("f-colour").value = view.colour; $("f-result").value = view.result;
    filterGames();
    var id = parseInt(p.get("game"), 10), ply = parseInt(p.get("ply"), 10);
    var g = null;
    DATA.games.forEach(function (x) { if (x.id === id) g = x; });
    view.game = g || null;
    view.ply = g ? Math.max(0, Math.min(isNaN(ply) ? 0 : ply, moves(g).length)) : 0;
    if (g && matches.indexOf(g) >= 0) view.page = Math.floor(matches.indexOf(g) / PAGE_SIZE);
    renderList();
    renderGame();
  }

  function writeHash() {
    var p = new URLSearchParams();
    ["agent", "cell", "colour", "result"].forEach(function (k) { if (view[k]) p.set(k, view[k]); });
    if (view.game) { p.set("game", view.game.id); p.set("ply", view.ply); }
    var hash = "#" + p.toString();
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  function onFilter() {
    view.agent = $("f-agent").value; view.cell = $("f-cell").value;
    view.colour = view.agent ? $("f-colour").value : ""; view.result = $("f-result").value;
    view.page = 0;
    filterGames();
    if (view.game && matches.indexOf(view.game) < 0) view.game = null;
    renderList();
    renderGame();
    writeHash();
  }

  fillSelects();
  ["f-agent", "f-cell", "f-colour", "f-result"].forEach(function (id) { $(id).addEventListener("change", onFilter); });
  $("prev-page").addEventListener("click", function () { view.page--; renderList(); });
  $("next-page").addEventListener("click", function () { view.page++; renderList(); });
  $("first").addEventListener("click", function () { step(-1e6); });
  $("back-ply").addEventListener("click", function () { step(-1); });
  $("next-ply").addEventListener("click", function () { step(1); });
  $("last").addEventListener("click", function () { step(1e6); });
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "SELECT") return;
    var keys = { ArrowLeft: function () { step(-1); }, ArrowRight: function () { step(1); },
      Home: function () { step(-1e6); }, End: function () { step(1e6); },
      ArrowUp: function () { neighbourGame(-1); }, ArrowDown: function () { neighbourGame(1); } };
    if (keys[e.key]) { keys[e.key](); e.preventDefault(); }
  });
  window.addEventListener("hashchange", readHash);
  var analysed = DATA.games.some(function (g) { return g.analysis; });
  $("legend").innerHTML = analysed ? "Moves by solver verdict: <span class='verdict-optimal'>optimal</span>" +
    "<span class='verdict-inaccuracy'>inaccuracy</span><span class='verdict-blunder'>blunder</span>" +
    "<span class='verdict-undecided'>undecided</span>" : "";
  $("summary").textContent = DATA.games.length + " games, " + DATA.agents.length + " agents, " + ROWS + "x" + COLS +
    " board, " + DATA.win_length + " in a row";
  readHash();
  if (!view.game && matches.length) selectGame(matches[0], 0);
})();
