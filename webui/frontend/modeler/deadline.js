// A user task's deadline (flow:deadline) in the properties panel, and the timers that follow it.
// The task's dueDate and every following timer's timeDate are written from the deadline in the same
// undoable command, as the engine derives them (engine/bpmn/deadlines.py), so they cannot disagree.
import { CheckboxEntry, NumberFieldEntry, SelectEntry, TextAreaEntry, TextFieldEntry, isCheckboxEntryEdited,
  isNumberFieldEntryEdited, isSelectEntryEdited, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { MULTI, extensionsOf, getProperty } from './extensions';
import { t } from './i18n';
import laneOf from './lanes';

const MAX_PERIOD = 3660;
const FIELD = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;
// What diagrams wrote by hand before deadlines: add_workdays(signed_on, 15), add_days(x["y"], 30).
const WRITTEN = /^\s*(add_workdays|add_days)\(\s*(now\(\)|[A-Za-z_]\w*(?:\[(['"])\w+\3\])*)\s*,\s*(\d+)\s*\)\s*$/;

export function deadlineOf(element) {
  return extensionsOf(getBusinessObject(element), 'flow:Deadline')[0];
}

export function expressionOf({ period, unit, from }) {
  const start = from ? from.split('.').map((key, i) => (i ? `["${key}"]` : key)).join('') : 'now()';
  return `${unit === 'days' ? 'add_days' : 'add_workdays'}(${start}, ${period})`;
}

// The deadline a hand-written dueDate amounts to, so a diagram from before keeps its numbers.
function writtenDeadline(expression) {
  const match = WRITTEN.exec(expression || '');
  if (!match) return null;
  const from = match[2] === 'now()' ? '' : match[2].replace(/\[(['"])(\w+)\1\]/g, '.$2');
  return { period: match[4], unit: match[1] === 'add_days' ? 'days' : 'workdays', from, basis: '' };
}

function currentValues(element) {
  const found = deadlineOf(element);
  if (found) {
    return { period: found.get('period') || '', unit: found.get('unit') || 'workdays', from: found.get('from') || '',
      basis: found.get('basis') || '' };
  }
  return writtenDeadline(getProperty(element, 'dueDate')) || { period: '', unit: 'workdays', from: '', basis: '' };
}

function followers(element, elementRegistry) {
  return elementRegistry.filter((shape) => is(shape, 'bpmn:BoundaryEvent') && shape.host === element
    && extensionsOf(getBusinessObject(shape), 'flow:FollowsDeadline').length);
}

function timerOf(bo) {
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

// Commands that make the timer of boundary event `shape` a timeDate of `expression`.
function timerCommands(shape, expression, bpmnFactory) {
  const definition = timerOf(getBusinessObject(shape));
  if (!definition) return [];
  const body = bpmnFactory.create('bpmn:FormalExpression', { body: expression });
  body.$parent = definition;
  return [{ cmd: 'element.updateModdleProperties', context: { element: shape, moddleElement: definition,
    properties: { timeDate: body, timeDuration: undefined, timeCycle: undefined } } }];
}

function ensureExtensions(element, bo, bpmnFactory, commands) {
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: bo, properties: { extensionElements: ext } } });
  }
  return ext;
}

// Commands that set the task's spiffworkflow dueDate property to `value`.
function dueDateCommands(element, bo, value, bpmnFactory, ext, commands) {
  let props = extensionsOf(bo, 'spiffworkflow:Properties')[0];
  const existing = props && props.get('properties').find((p) => p.get('name') === 'dueDate');
  if (existing) {
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: existing, properties: { value } } });
    return null;
  }
  const property = bpmnFactory.create('spiffworkflow:Property', { name: 'dueDate', value });
  if (props) {
    property.$parent = props;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: props, properties: { properties: [...props.get('properties'), property] } } });
    return null;
  }
  props = bpmnFactory.create('spiffworkflow:Properties', { properties: [property] });
  property.$parent = props;
  props.$parent = ext;
  return props; // to be added to the extension elements with the deadline
}

// One undoable change: the deadline's attributes, the task's dueDate and every following timer.
function writeDeadline(element, values, { bpmnFactory, commandStack, elementRegistry }) {
  const bo = getBusinessObject(element);
  const commands = [];
  const ext = ensureExtensions(element, bo, bpmnFactory, commands);
  const attributes = { period: String(values.period), unit: values.unit, from: values.from || undefined,
    basis: values.basis || undefined };
  let deadline = deadlineOf(element);
  const added = [];
  if (deadline) {
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: deadline, properties: attributes } });
  } else {
    deadline = bpmnFactory.create('flow:Deadline', attributes);
    deadline.$parent = ext;
    added.push(deadline);
  }
  const expression = expressionOf(values);
  const props = dueDateCommands(element, bo, expression, bpmnFactory, ext, commands);
  if (props) added.push(props);
  if (added.length) {
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: ext, properties: { values: [...added, ...ext.get('values')] } } });
  }
  followers(element, elementRegistry).forEach((shape) => commands.push(...timerCommands(shape, expression, bpmnFactory)));
  commandStack.execute(MULTI, commands);
}

function useDeadlineServices() {
  return { bpmnFactory: useService('bpmnFactory'), commandStack: useService('commandStack'),
    elementRegistry: useService('elementRegistry') };
}

function validPeriod(value) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 && n <= MAX_PERIOD;
}

function Period({ element, id }) {
  const services = useDeadlineServices();
  const debounce = useService('debounceInput');
  return NumberFieldEntry({ element, id, debounce, min: 1, max: MAX_PERIOD, label: t('期限天数'),
    description: t('逾期督办的定时器和表单中的“{{task_deadline.text}}”都随此变化。'),
    getValue: () => currentValues(element).period,
    setValue: (value) => {
      if (validPeriod(value)) writeDeadline(element, { ...currentValues(element), period: Number(value) }, services);
    },
    validate: (value) => (value === '' || value === undefined || validPeriod(value) ? null
      : t('期限须为 1 至 %(max)s 之间的整数天数。', { max: MAX_PERIOD })) });
}

function Unit({ element, id }) {
  const services = useDeadlineServices();
  return SelectEntry({ element, id, label: t('计算方式'),
    getValue: () => currentValues(element).unit,
    setValue: (unit) => {
      const values = currentValues(element);
      if (validPeriod(values.period)) writeDeadline(element, { ...values, unit }, services);
    },
    getOptions: () => [
      { value: 'workdays', label: t('工作日（按国务院节假日安排，含调休）') },
      { value: 'days', label: t('日（自然日，末日逢休息日顺延）') },
    ] });
}

function From({ element, id }) {
  const services = useDeadlineServices();
  const debounce = useService('debounceInput');
  return TextFieldEntry({ element, id, debounce, label: t('起算日期'),
    description: t('填写保存起算日期的数据项，如 signed_on（签订日期）；留空则自任务开始之日起算。起算当日不计。'),
    getValue: () => currentValues(element).from,
    setValue: (value) => {
      const values = currentValues(element);
      const from = (value || '').trim();
      if (validPeriod(values.period) && (!from || FIELD.test(from))) writeDeadline(element, { ...values, from }, services);
    },
    validate: (value) => (!value || FIELD.test(value.trim()) ? null
      : t('应为数据项名称，如 signed_on 或 agreement.signed_on。')) });
}

function Basis({ element, id }) {
  const services = useDeadlineServices();
  const debounce = useService('debounceInput');
  return TextFieldEntry({ element, id, debounce, label: t('法律依据'),
    description: t('如：政府采购法第四十六条。办理人在期限说明中看到。'),
    getValue: () => currentValues(element).basis,
    setValue: (value) => {
      const values = currentValues(element);
      if (validPeriod(values.period)) writeDeadline(element, { ...values, basis: (value || '').trim() }, services);
    } });
}

// What happens when the deadline passes: the timers that follow it, and where they lead.
function Escalation({ element, id }) {
  const elementRegistry = useService('elementRegistry');
  const debounce = useService('debounceInput');
  const shapes = followers(element, elementRegistry);
  const text = shapes.length ? shapes.map((shape) => {
    const targets = (shape.outgoing || []).map((flow) => {
      const target = getBusinessObject(flow.target);
      const lane = laneOf(target);
      const office = lane && lane.get('name') ? `（${lane.get('name')}）` : '';
      return `${target.get('name') || flow.target.id}${office}`;
    });
    return `${getBusinessObject(shape).get('name') || shape.id} → ${targets.join('、') || t('（未连线）')}`;
  }).join('；') : t('无：在任务边界上添加定时事件并勾选“跟随任务期限”即可逾期督办。');
  return TextAreaEntry({ element, id, debounce, rows: 2, label: t('逾期后'), disabled: true, getValue: () => text,
    setValue: () => {} });
}

export function deadlineEntries() {
  return [
    { id: 'engine-deadlinePeriod', component: Period, isEdited: isNumberFieldEntryEdited },
    { id: 'engine-deadlineUnit', component: Unit, isEdited: isSelectEntryEdited },
    { id: 'engine-deadlineFrom', component: From, isEdited: isTextFieldEntryEdited },
    { id: 'engine-deadlineBasis', component: Basis, isEdited: isTextFieldEntryEdited },
    { id: 'engine-deadlineEscalation', component: Escalation, isEdited: () => false },
  ];
}

// --- a boundary timer: follow the host task's deadline ---

export function followsDeadline(element) {
  return extensionsOf(getBusinessObject(element), 'flow:FollowsDeadline').length > 0;
}

function Follows({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const bo = getBusinessObject(element);
  const setValue = (checked) => {
    const commands = [];
    const ext = ensureExtensions(element, bo, bpmnFactory, commands);
    const others = ext.get('values').filter((v) => !is(v, 'flow:FollowsDeadline'));
    if (checked) {
      const marker = bpmnFactory.create('flow:FollowsDeadline');
      marker.$parent = ext;
      commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: ext, properties: { values: [...others, marker] } } });
      commands.push(...timerCommands(element, expressionOf(currentValues(element.host)), bpmnFactory));
    } else {
      commands.push(others.length
        ? { cmd: 'element.updateModdleProperties', context: { element, moddleElement: ext, properties: { values: others } } }
        : { cmd: 'element.updateModdleProperties', context: { element, moddleElement: bo, properties: { extensionElements: undefined } } });
    }
    commandStack.execute(MULTI, commands);
  };
  return CheckboxEntry({ element, id, label: t('跟随任务期限'), getValue: () => followsDeadline(element), setValue,
    description: t('到期时刻即所附任务的办理期限，随期限一并修改。') });
}

export function followEntries(element) {
  const host = element.host;
  if (!host || !is(host, 'bpmn:UserTask') || (!deadlineOf(host) && !followsDeadline(element))) return [];
  return [{ id: 'engine-followsDeadline', component: Follows, isEdited: isCheckboxEntryEdited }];
}
