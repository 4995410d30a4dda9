// Read-only process diagrams: an instance's path (completed, current, overdue elements) or a heat map
// of where the instances of a version wait. Each container names its diagram and its marks.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import './diagram-viewer.css';

import fitDiagram from './modeler/fit';
import { withDrawing } from './modeler/layout';

function readJson(id) {
  const node = id && document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

function heatBadge(text, level) {
  const badge = document.createElement('div');
  badge.className = `heat-badge heat-${level}`;
  badge.textContent = text;
  return badge;
}

async function mount(container) {
  const response = await fetch(container.dataset.diagramUrl, { credentials: 'same-origin' });
  if (!response.ok) {
    container.textContent = container.dataset.failText || response.statusText;
    return;
  }
  const xml = await response.text();
  const viewer = new NavigatedViewer({ container });
  try {
    await viewer.importXML(await withDrawing(xml));
  } catch (error) {
    container.textContent = container.dataset.failText || String(error);
    return;
  }
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  const marks = readJson(container.dataset.marks);
  for (const [marker, ids] of Object.entries(marks)) {
    for (const id of ids) {
      if (registry.get(id)) canvas.addMarker(id, `mark-${marker}`);
    }
  }
  // A long process is shown readable around where the instance stands.
  const focus = [...(marks.overdue || []), ...(marks.current || [])].map((id) => registry.get(id)).find(Boolean);
  fitDiagram(canvas, focus);
  // heat: {elementId: {count, label, level}} with level 0..3 from the server's scale.
  const heat = readJson(container.dataset.heat);
  const overlays = viewer.get('overlays');
  for (const [id, cell] of Object.entries(heat)) {
    if (!registry.get(id)) continue;
    canvas.addMarker(id, `heat-${cell.level}`);
    overlays.add(id, { position: { top: -14, right: 14 }, html: heatBadge(cell.label, cell.level) });
  }
  container.dataset.ready = 'true';
}

document.querySelectorAll('[data-diagram-url]').forEach(mount);
