// Validation problems marked on their elements in the diagram (marker class + overlay) and listed; a
// decision table's problems are marked on the task calling it and listed with their file and line,
// linked to the table's editor.
import { t } from './i18n';

const MARKER = 'engine-problem';
const WARNING = 'engine-warning';

export default class ProblemMarkers {
  // decisionOf(file): for a decision file of the diagram, {url: its editor, task: the id of a task calling
  // it, or null}; null for other files.
  constructor(modeler, list, decisionOf) {
    this.canvas = modeler.get('canvas');
    this.overlays = modeler.get('overlays');
    this.registry = modeler.get('elementRegistry');
    this.selection = modeler.get('selection');
    this.list = list;
    this.decisionOf = decisionOf;
    this.marked = [];
  }

  clear() {
    this.marked.forEach((id) => {
      this.canvas.removeMarker(id, MARKER);
      this.canvas.removeMarker(id, WARNING);
    });
    this.overlays.remove({ type: MARKER });
    this.marked = [];
    this.list.replaceChildren();
  }

  show(problems) {
    this.clear();
    const byElement = new Map();
    problems.forEach((problem) => {
      // A decision's ids are the DMN file's (one may equal an id in the diagram by chance): its problems
      // go on the task calling it.
      const decision = this.decisionOf(problem.file);
      const inDiagram = problem.element && this.registry.get(problem.element) ? problem.element : null;
      const shown = decision ? decision.task : inDiagram;
      if (shown) {
        if (!byElement.has(shown)) byElement.set(shown, []);
        byElement.get(shown).push(problem);
      }
      this.list.append(this.item(problem, shown, decision));
    });
    byElement.forEach((found, id) => {
      // Lint warnings (bpmnlint's rules) are marked apart: they do not stop a deployment.
      const warningsOnly = found.every((problem) => problem.severity === 'warning');
      this.canvas.addMarker(id, warningsOnly ? WARNING : MARKER);
      this.marked.push(id);
      const badge = document.createElement('div');
      badge.className = `engine-problem-badge${warningsOnly ? ' warning' : ''}`;
      badge.textContent = String(found.length);
      badge.title = found.map((problem) => problem.message).join('\n');
      badge.dataset.element = id;
      this.overlays.add(id, MARKER, { position: { top: -10, right: 10 }, html: badge });
    });
  }

  item(problem, shown, decision) {
    const li = document.createElement('li');
    li.className = `engine-problem-item${problem.severity === 'warning' ? ' warning' : ''}`;
    if (problem.element) li.dataset.element = problem.element;
    const where = document.createElement('span');
    where.className = 'where';
    // The message names the element as the diagram shows it; its id is for the XML, not for people.
    where.textContent = [problem.severity === 'warning' ? t('提示') : '', decision || !problem.line ? problem.file : '',
      problem.line ? t('第 %(line)s 行', { line: problem.line }) : ''].filter(Boolean).join(' · ');
    const text = document.createElement('span');
    text.textContent = problem.message;
    li.append(where, text);
    if (decision) {
      const link = document.createElement('a');
      link.href = decision.url;
      link.dataset.keepsDraft = '';
      link.className = 'engine-problem-open';
      link.textContent = t('打开决策表');
      li.append(link);
    }
    if (shown) {
      li.tabIndex = 0;
      li.addEventListener('click', () => {
        const element = this.registry.get(shown);
        this.canvas.scrollToElement(element);
        this.selection.select(element);
      });
    }
    return li;
  }
}
