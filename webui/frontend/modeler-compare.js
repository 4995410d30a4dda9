// Two versions side by side: removed and changed elements marked on the old diagram, added and
// changed ones on the new; a row of the change table highlights its element in both.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';

import fitDiagram from './modeler/fit';
import { pageData } from './modeler/http';
import { withDrawing } from './modeler/layout';

const page = pageData('compare-page');
const SHOWN = { from: ['removed', 'changed'], to: ['added', 'changed'] };
const viewers = {};

async function show(side) {
  const viewer = new NavigatedViewer({ container: `#compare-${side}` });
  viewers[side] = viewer;
  await viewer.importXML(await withDrawing(page.panes[side].xml));
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  Object.entries(page.markers).forEach(([id, kind]) => {
    if (SHOWN[side].includes(kind) && registry.get(id)) canvas.addMarker(id, `diff-${kind}`);
  });
  fitDiagram(canvas);
}

document.querySelectorAll('.diff-row').forEach((row) => {
  row.addEventListener('click', () => {
    Object.values(viewers).forEach((viewer) => {
      const element = viewer.get('elementRegistry').get(row.dataset.element);
      if (element) viewer.get('canvas').scrollToElement(element);
    });
  });
});

Promise.all([show('from'), show('to')]).then(() => {
  document.body.dataset.compareReady = 'true';
});
