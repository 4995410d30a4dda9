// A business rule task's decision: the table it calls, and the editor of a decision file.
import { getText } from './extensions';

const CALLED = 'spiffworkflow:CalledDecisionId';

// Camunda Modeler names the decision in an attribute; the engine reads it when SpiffWorkflow's element is absent.
export function calledDecision(bo) {
  return getText(bo, CALLED) || bo.get('camunda:decisionRef') || '';
}

export function decisionUrl(template, file) {
  return template.replace('FILE_NAME', encodeURIComponent(file));
}
