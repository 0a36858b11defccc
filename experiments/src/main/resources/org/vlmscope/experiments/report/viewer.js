// The logit-lens viewer: builds the patch grid over the image and the positions x layers table from the
// JSON in #lens-data, and links them: hovering a patch highlights its row, hovering a row its patch, and
// hovering a token shows the top-k tokens with their probabilities.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('lens-data').textContent);
  var cells = data.rows * data.cols;
  var objectCells = new Set(data.objectCells);
  var grid = document.getElementById('grid');
  var body = document.getElementById('lens-body');
  var head = document.getElementById('lens-head');
  var wrap = document.getElementById('tablewrap');
  var tip = document.getElementById('tip');
  var patches = [];
  var rows = [];

  function shown(token) {
    return token === '' ? '\u2205' : token;
  }

  for (var c = 0; c < cells; c++) {
    var r = Math.floor(c / data.cols), k = c % data.cols;
    var patch = document.createElement('div');
    patch.className = 'patch' + (objectCells.has(c) ? ' object' : '');
    patch.style.left = (100 * k / data.cols) + '%';
    patch.style.top = (100 * r / data.rows) + '%';
    patch.style.width = (100 / data.cols) + '%';
    patch.style.height = (100 / data.rows) + '%';
    patch.dataset.cell = c;
    grid.appendChild(patch);
    patches.push(patch);
  }

  var headRow = document.createElement('tr');
  var corner = document.createElement('th');
  corner.textContent = 'row,col';
  headRow.appendChild(corner);
  for (var l = 0; l < data.layers; l++) {
    var th = document.createElement('th');
    th.textContent = 'L' + l;
    th.title = 'layer ' + l + ': ' + (100 * data.layerFractions[l]).toFixed(1) + '% of object cells match';
    if (l === data.bestLayer) {
      th.className = 'best';
    }
    headRow.appendChild(th);
  }
  head.appendChild(headRow);

  for (var cell = 0; cell < cells; cell++) {
    var tr = document.createElement('tr');
    tr.dataset.cell = cell;
    if (objectCells.has(cell)) {
      tr.className = 'object';
    }
    var pos = document.createElement('td');
    pos.className = 'pos';
    pos.textContent = Math.floor(cell / data.cols) + ',' + (cell % data.cols);
    tr.appendChild(pos);
    for (var layer = 0; layer < data.layers; layer++) {
      var td = document.createElement('td');
      var token = data.tokens[cell][layer][0];
      var p = data.probs[cell][layer][0];
      td.textContent = shown(token);
      if (token === '') {
        td.className = 'empty';
      }
      td.dataset.layer = layer;
      td.style.background = 'rgba(40, 160, 70, ' + (0.6 * p).toFixed(3) + ')';
      tr.appendChild(td);
    }
    body.appendChild(tr);
    rows.push(tr);
  }

  var current = -1;
  function highlight(cell, scroll) {
    if (current >= 0) {
      patches[current].classList.remove('hl');
      rows[current].classList.remove('hl');
    }
    current = cell;
    if (cell < 0) {
      return;
    }
    patches[cell].classList.add('hl');
    rows[cell].classList.add('hl');
    if (scroll && !rows[cell].hidden) {
      var top = rows[cell].offsetTop - head.offsetHeight;
      if (top < wrap.scrollTop || top + rows[cell].offsetHeight > wrap.scrollTop + wrap.clientHeight) {
        wrap.scrollTop = Math.max(0, top - wrap.clientHeight / 3);
      }
    }
  }

  grid.addEventListener('mouseover', function (e) {
    var patch = e.target.closest('.patch');
    if (patch) {
      highlight(Number(patch.dataset.cell), true);
    }
  });
  grid.addEventListener('mouseleave', function () { highlight(-1, false); });

  body.addEventListener('mouseover', function (e) {
    var tr = e.target.closest('tr');
    if (!tr) {
      return;
    }
    highlight(Number(tr.dataset.cell), false);
    var td = e.target.closest('td');
    if (td && td.dataset.layer !== undefined) {
      var c = Number(tr.dataset.cell), l = Number(td.dataset.layer);
      var lines = ['cell ' + tr.firstChild.textContent + ', layer ' + l];
      for (var k = 0; k < data.topK; k++) {
        lines.push((data.probs[c][l][k]).toFixed(3) + '  ' + shown(data.tokens[c][l][k]));
      }
      tip.textContent = lines.join('\n');
      tip.style.display = 'block';
    } else {
      tip.style.display = 'none';
    }
  });
  body.addEventListener('mousemove', function (e) {
    tip.style.left = (e.clientX + 14) + 'px';
    tip.style.top = (e.clientY + 14) + 'px';
  });
  body.addEventListener('mouseleave', function () {
    tip.style.display = 'none';
    highlight(-1, false);
  });

  document.getElementById('only-object').addEventListener('change', function (e) {
    for (var i = 0; i < cells; i++) {
      rows[i].hidden = e.target.checked && !objectCells.has(i);
    }
  });
}());
