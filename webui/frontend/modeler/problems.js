// Validation problems marked on their elements in the diagram (marker class + overlay) and listed.
import { t } from './i18n';

const MARKER = 'engine-problem';
const WARNING = 'engine-warning';

export default class ProblemMarkers {
  constructor(modeler, list) {
    this.canvas = modeler.get('canvas');
    this.overlays = modeler.get('overlays');
    this.registry = modeler.get('elementRegistry');
    this.selection = modeler.get('selection');
    this.list = list;
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
      const shown = problem.element && this.registry.get(problem.element) ? problem.element : null;
      if (shown) {
        if (!byElement.has(shown)) byElement.set(shown, []);
        byElement.get(shown).push(problem);
      }
      this.list.append(this.item(problem, shown));
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

  item(problem, shown) {
    const li = document.createElement('li');
    li.className = `engine-problem-item${problem.severity === 'warning' ? ' warning' : ''}`;
    if (problem.element) li.dataset.element = problem.element;
    const where = document.createElement('span');
    where.className = 'where';
    // The message names the element as the diagram shows it; its id is for the XML, not for people.
    where.textContent = [problem.severity === 'warning' ? t('提示') : '',
      problem.line ? t('第 %(line)s 行', { line: problem.line }) : problem.file].filter(Boolean).join(' · ');
    const text = document.createElement('span');
    text.textContent = problem.message;
    li.append(where, text);
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
