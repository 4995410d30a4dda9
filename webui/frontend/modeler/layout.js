// Diagrams written by hand may have no drawing (BPMNDiagram); lay them out so they can be shown.
import { layoutProcess } from 'bpmn-auto-layout';

export function hasDrawing(xml) {
  return /<(\w+:)?BPMNShape[\s>]/.test(xml);
}

export async function withDrawing(xml) {
  return hasDrawing(xml) ? xml : layoutProcess(xml);
}
