// Trying a decision table on sample inputs beside it: one field per process data name the table reads
// (asked of the server, which reads the table as the engine does), the outputs, and the rule rows that
// matched marked in the table.
import { postJson } from '../modeler/http';
import { t } from '../modeler/i18n';

const MARKS = ['try-matched', 'try-applied', 'try-problem'];

function element(tag, attributes = {}, text = '') {
  const node = Object.assign(document.createElement(tag), attributes);
  if (text) node.textContent = text;
  return node;
}

function shown(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export default class TryPanel {
  // outputLabels(): {output name: the column's label}, to show results as the table heads them.
  constructor({ table, fields, form, result, urls, currentXml, outputLabels }) {
    this.table = table;
    this.outputLabels = outputLabels;
    this.fields = fields;
    this.result = result;
    this.urls = urls;
    this.currentXml = currentXml;
    this.inputs = null; // the fields shown, once the server has read the table
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.run();
    });
  }

  // Rule rows as dmn-js draws them: one `tr` per rule, in order.
  rows() {
    return [...this.table.querySelectorAll('.tjs-table tbody tr')];
  }

  clearMarks() {
    this.rows().forEach((row) => row.classList.remove(...MARKS));
  }

  values() {
    return Object.fromEntries([...this.fields.querySelectorAll('[name]')].map((field) => [field.name, field.value]));
  }

  async refreshInputs() {
    const kept = this.values();
    const { ok, data } = await postJson(this.urls.inputs, { dmn: await this.currentXml() });
    if (!ok) {
      this.inputs = null;
      this.fields.replaceChildren();
      this.showError(data);
      return;
    }
    this.inputs = data.inputs;
    this.result.replaceChildren();
    this.fields.replaceChildren(...data.inputs.map((input) => this.field(input, kept[input.name] || '')));
  }

  field({ name, label, type }, value) {
    const id = `try-${name}`;
    const wrapper = element('div', { className: 'try-field' });
    const caption = element('label', { htmlFor: id }, label === name ? name : `${label}（${name}）`);
    let control;
    if (type === 'boolean') {
      control = element('select');
      control.append(element('option', { value: '' }, t('（空）')), element('option', { value: 'true' }, t('是')),
        element('option', { value: 'false' }, t('否')));
    } else {
      const number = ['number', 'integer', 'long', 'double'].includes(type);
      control = element('input', { type: 'text', inputMode: number ? 'decimal' : 'text' });
    }
    Object.assign(control, { id, name, value });
    wrapper.append(caption, control, element('span', { className: 'try-error' }));
    return wrapper;
  }

  async run() {
    this.clearMarks();
    this.fields.querySelectorAll('.try-error').forEach((span) => { span.textContent = ''; });
    this.result.replaceChildren(element('p', {}, t('正在试算…')));
    const { ok, data } = await postJson(this.urls.try, { dmn: await this.currentXml(), sample: this.values() });
    if (!ok) {
      this.showError(data);
      return;
    }
    const rows = this.rows();
    data.rows.forEach((number) => rows[number - 1] && rows[number - 1].classList.add('try-matched'));
    data.applied.forEach((number) => rows[number - 1] && rows[number - 1].classList.add('try-applied'));
    const outputs = element('dl', { className: 'try-outputs' });
    const labels = this.outputLabels();
    Object.entries(data.outputs).forEach(([name, value]) => {
      const label = labels[name] && labels[name] !== name ? `${labels[name]}（${name}）` : name;
      outputs.append(element('dt', {}, label), element('dd', {}, shown(value)));
    });
    const ruleList = (numbers) => numbers.map((n) => t('第 %(row)s 条', { row: n })).join('、');
    this.result.replaceChildren(
      element('h3', {}, t('结果')),
      Object.keys(data.outputs).length ? outputs : element('p', {}, t('没有结果。')),
      element('p', { className: 'try-rows' }, data.rows.length
        ? t('匹配的规则：%(rows)s；采用：%(applied)s。', { rows: ruleList(data.rows), applied: ruleList(data.applied) })
        : t('没有匹配的规则。')),
    );
  }

  // A refusal: field errors beside their fields, the table's problems listed by line and marked on
  // their rows, anything else as one message.
  showError(data) {
    const messages = [];
    Object.entries(data.errors || {}).forEach(([name, message]) => {
      const span = this.fields.querySelector(`[name="${CSS.escape(name)}"] ~ .try-error`);
      if (span) span.textContent = message;
      else messages.push(message);
    });
    const problems = data.problems || [];
    problems.forEach((problem) => {
      const cell = problem.element && this.table.querySelector(`td[data-row-id="${CSS.escape(problem.element)}"]`);
      if (cell) cell.closest('tr').classList.add('try-problem');
    });
    if (!data.errors && !problems.length) messages.push(data.error || t('试算失败。'));
    const list = element('ul', { className: 'problem-list' });
    list.append(...problems.map((problem) => {
      const item = element('li', { className: 'engine-problem-item' });
      const where = problem.line ? t('第 %(line)s 行', { line: problem.line }) : problem.file;
      item.append(element('span', { className: 'where' }, where), element('span', {}, problem.message));
      return item;
    }));
    this.result.replaceChildren(
      ...messages.map((message) => element('p', { className: 'modeler-status error' }, message)),
      ...(problems.length ? [element('p', { className: 'modeler-status error' }, data.error), list] : []),
    );
  }
}
