// Reading and writing the spiffworkflow extension elements the engine reads, as undoable commands.
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export const MULTI = 'properties-panel.multi-command-executor';

export function extensionsOf(bo, type) {
  const ext = bo.get('extensionElements');
  return ext ? ext.get('values').filter((value) => is(value, type)) : [];
}

// Commands that make sure `bo` has bpmn:extensionElements; returns [extensionElements, commands].
function ensureExtensionElements(element, bo, bpmnFactory) {
  let ext = bo.get('extensionElements');
  if (ext) return [ext, []];
  ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
  ext.$parent = bo;
  return [ext, [{ cmd: 'element.updateModdleProperties',
    context: { element, moddleElement: bo, properties: { extensionElements: ext } } }]];
}

// Commands that add `child` to `bo`'s extension elements.
export function addExtension(element, bo, child, bpmnFactory) {
  const [ext, commands] = ensureExtensionElements(element, bo, bpmnFactory);
  child.$parent = ext;
  commands.push({ cmd: 'element.updateModdleProperties',
    context: { element, moddleElement: ext, properties: { values: [...ext.get('values'), child] } } });
  return commands;
}

// Commands that remove `child` from `bo`'s extension elements (and them when left empty).
export function removeExtension(element, bo, child) {
  const ext = bo.get('extensionElements');
  const values = ext.get('values').filter((value) => value !== child);
  if (!values.length) {
    return [{ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: bo, properties: { extensionElements: undefined } } }];
  }
  return [{ cmd: 'element.updateModdleProperties',
    context: { element, moddleElement: ext, properties: { values } } }];
}

// --- spiffworkflow:properties/property (formId, dueDate, ...) of a task ---

export function getProperty(element, name) {
  const bo = getBusinessObject(element);
  for (const props of extensionsOf(bo, 'spiffworkflow:Properties')) {
    const found = props.get('properties').find((p) => p.get('name') === name);
    if (found) return found.get('value') || '';
  }
  return '';
}

export function setProperty(element, name, value, bpmnFactory, commandStack) {
  const bo = getBusinessObject(element);
  const [props] = extensionsOf(bo, 'spiffworkflow:Properties');
  const existing = props && props.get('properties').find((p) => p.get('name') === name);
  let commands;
  if (!value) {
    if (!existing) return;
    const rest = props.get('properties').filter((p) => p !== existing);
    commands = rest.length
      ? [{ cmd: 'element.updateModdleProperties', context: { element, moddleElement: props, properties: { properties: rest } } }]
      : removeExtension(element, bo, props);
  } else if (existing) {
    commands = [{ cmd: 'element.updateModdleProperties', context: { element, moddleElement: existing, properties: { value } } }];
  } else {
    const property = bpmnFactory.create('spiffworkflow:Property', { name, value });
    if (props) {
      property.$parent = props;
      commands = [{ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: props, properties: { properties: [...props.get('properties'), property] } } }];
    } else {
      const created = bpmnFactory.create('spiffworkflow:Properties', { properties: [property] });
      property.$parent = created;
      commands = addExtension(element, bo, created, bpmnFactory);
    }
  }
  commandStack.execute(MULTI, commands);
}

// --- text extensions (messagePayload, messageVariable, instructionsForEndUser) on a moddle element ---

export function getText(bo, type) {
  const [found] = extensionsOf(bo, type);
  return found ? found.get('value') || '' : '';
}

export function setText(element, bo, type, value, bpmnFactory, commandStack) {
  const [found] = extensionsOf(bo, type);
  let commands;
  if (!value) {
    if (!found) return;
    commands = removeExtension(element, bo, found);
  } else if (found) {
    commands = [{ cmd: 'element.updateModdleProperties', context: { element, moddleElement: found, properties: { value } } }];
  } else {
    commands = addExtension(element, bo, bpmnFactory.create(type, { value }), bpmnFactory);
  }
  commandStack.execute(MULTI, commands);
}

// --- "name = expression" lines, the editing form of parameter and correlation lists ---

export function parseLines(text) {
  const pairs = [];
  const errors = [];
  String(text || '').split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    const at = line.indexOf('=');
    const name = at > 0 ? line.slice(0, at).trim() : '';
    const expression = at > 0 ? line.slice(at + 1).trim() : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !expression) {
      errors.push(index + 1);
    } else {
      pairs.push([name, expression]);
    }
  });
  return { pairs, errors };
}

export function formatLines(pairs) {
  return pairs.map(([name, expression]) => `${name} = ${expression}`).join('\n');
}
