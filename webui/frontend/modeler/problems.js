// Validation problems marked on their elements in the diagram (marker class + overlay) and listed.
import { t } from './i18n';

const MARKER = 'engine-problem';

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
    this.marked.forEach((id) => this.canvas.removeMarker(id, MARKER));
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
        byElement.get(shown).push(problem.message);
      }
      this.list.append(this.item(problem, shown));
    });
    byElement.forEach((messages, id) => {
      this.canvas.addMarker(id, MARKER);
      this.marked.push(id);
      const badge = document.createElement('div');
      badge.className = 'engine-problem-badge';
      badge.textContent = String(messages.length);
      badge.title = messages.join('\n');
      badge.dataset.element = id;
      this.overlays.add(id, MARKER, { position: { top: -10, right: 10 }, html: badge });
    });
  }

  item(problem, shown) {
    const li = document.createElement('li');
    li.className = 'engine-problem-item';
    if (problem.element) li.dataset.element = problem.element;
    const where = document.createElement('span');
    where.className = 'where';
    // The message names the element as the diagram shows it; its id is for the XML, not for people.
    where.textContent = problem.line ? t('第 %(line)s 行', { line: problem.line }) : problem.file;
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
