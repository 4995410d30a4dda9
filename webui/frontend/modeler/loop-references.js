// SpiffWorkflow reads a multi-instance task's loopDataInputRef/loopDataOutputRef as the name of a
// process variable; BPMN wants the id of an element, so bpmn-js drops the reference on import and the
// exported diagram would lose it. Keep them: read them from the XML and put them back by name.
import { is } from 'bpmn-js/lib/util/ModelUtil';

const REFERENCES = ['loopDataInputRef', 'loopDataOutputRef'];

function referencesIn(xml) {
  const found = new Map(); // activity id -> {loopDataInputRef: name, ...}
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  doc.querySelectorAll('*').forEach((node) => {
    if (!REFERENCES.includes(node.localName)) return;
    const activity = node.parentElement && node.parentElement.parentElement;
    const id = activity && activity.getAttribute('id');
    if (!id) return;
    found.set(id, { ...(found.get(id) || {}), [node.localName]: node.textContent.trim() });
  });
  return found;
}

function* flowElements(container) {
  for (const element of container.get('flowElements') || []) {
    yield element;
    if (is(element, 'bpmn:SubProcess')) yield* flowElements(element);
  }
}

// Returns the variable names put back (their "unresolved reference" import warnings are moot).
export default function keepLoopReferences(modeler, xml) {
  const wanted = referencesIn(xml);
  const kept = new Set();
  modeler.getDefinitions().get('rootElements').filter((root) => is(root, 'bpmn:Process')).forEach((process) => {
    for (const element of flowElements(process)) {
      const loop = element.get('loopCharacteristics');
      const names = wanted.get(element.get('id'));
      if (!loop || !names) continue;
      REFERENCES.forEach((reference) => {
        // The moddle writes a reference as its target's id: a stand-in with the variable's name does.
        if (names[reference] && !loop.get(reference)) {
          loop.set(reference, { id: names[reference] });
          kept.add(names[reference]);
        }
      });
    }
  });
  return kept;
}
