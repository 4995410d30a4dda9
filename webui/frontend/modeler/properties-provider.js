// The properties the engine reads, in the properties panel: lane office roles, a user task's form and
// due date, a business rule task's decision, timer expressions, service-task handlers with parameters,
// message payloads and correlation.
import { SelectEntry, TextAreaEntry, TextFieldEntry, isSelectEntryEdited, isTextAreaEntryEdited,
  isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { MULTI, addExtension, extensionsOf, formatLines, getProperty, getText, parseLines, removeExtension,
  setProperty, setText } from './extensions';
import { deadlineEntries, deadlineOf, followEntries, followsDeadline } from './deadline';
import { decisionEntries } from './decision';
import { t } from './i18n';
import laneOf from './lanes';

const EXPRESSION_HELP = () => t('Python 表达式。可用工作日函数 add_workdays(日期, n)、add_days(日期, n)、end_of_day(日期)、is_workday(日期)，以及 now()、date、timedelta；固定文本需加引号。');
const TIMER_TYPES = () => [
  { value: 'timeDate', label: t('到期时刻（timeDate）'), example: 'add_workdays(signed_on, 15)' },
  { value: 'timeDuration', label: t('等待时长（timeDuration）'), example: '"P2D"' },
  { value: 'timeCycle', label: t('循环（timeCycle）'), example: '"R3/PT24H"' },
];

// Validators are module functions: the panel re-validates whenever its validate function changes.
function validateParameters(text) {
  const { errors } = parseLines(text);
  return errors.length ? t('第 %(lines)s 行应为“参数名 = 表达式”。', { lines: errors.join('、') }) : null;
}

function validateCorrelations(text) {
  const { errors } = parseLines(text);
  return errors.length ? t('第 %(lines)s 行应为“关联属性 = 表达式”。', { lines: errors.join('、') }) : null;
}

// --- lanes: the office role ---

function LaneRole({ element, id, roles }) {
  const modeling = useService('modeling');
  const getValue = () => {
    const name = (getBusinessObject(element).get('name') || '').trim();
    const role = roles.find((r) => r.value === name || r.label === name);
    return role ? role.value : name;
  };
  const getOptions = () => {
    const current = getValue();
    const options = [{ value: '', label: t('（未指定）') }, ...roles.map((r) => ({ value: r.value, label: `${r.label}（${r.value}）` }))];
    if (current && !roles.some((r) => r.value === current)) {
      options.push({ value: current, label: t('未知角色：%(name)s', { name: current }) });
    }
    return options;
  };
  // The lane shows the role's Chinese name; the engine accepts the code or the name.
  const setValue = (value) => {
    const role = roles.find((r) => r.value === value);
    modeling.updateLabel(element, role ? role.label : value);
  };
  return SelectEntry({ element, id, label: t('办理单位角色'), getValue, setValue, getOptions,
    description: t('泳道中的用户任务由该角色对应的单位办理；具体单位取自实例数据（county、station、social_org、evaluator）。') });
}

// --- user tasks: their lane, form, due date, earliest date ---

// Shown, not edited: the role belongs to the lane (select the lane to change it), and a laid-out
// diagram may not draw its lanes.
function TaskLane({ element, id, roles }) {
  const lane = laneOf(getBusinessObject(element));
  const name = lane ? (lane.get('name') || '').trim() : '';
  const role = roles.find((r) => r.value === name || r.label === name);
  const debounce = useService('debounceInput');
  return TextFieldEntry({ element, id, debounce, label: t('办理单位角色（所在泳道）'), disabled: true,
    getValue: () => (role ? `${role.label}（${role.value}）` : name || t('（不在任何泳道中）')),
    setValue: () => {} });
}

function TaskProperty({ element, id, name, label, description, forms }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  return TextFieldEntry({
    element, id, label, debounce, description,
    getValue: () => getProperty(element, name),
    setValue: (value) => setProperty(element, name, (value || '').trim(), bpmnFactory, commandStack),
    validate: forms ? (value) => (value && !forms.includes(value)
      ? t('尚无此表单，请在表单编辑器中创建。') : null) : undefined,
  });
}

function userTaskEntries(element, { forms, roles }) {
  const entry = (id, name, label, description, extra = {}) => ({
    id, component: TaskProperty, isEdited: isTextFieldEntryEdited, name, label, description, ...extra,
  });
  return [
    { id: 'engine-taskLane', component: TaskLane, isEdited: () => false, roles },
    entry('engine-formId', 'formId', t('表单（formId）'),
      t('已有表单：%(forms)s', { forms: forms.join('、') || t('无') }), { forms }),
    // A declared deadline writes the dueDate itself (see the 办理期限 group).
    ...(deadlineOf(element) ? [] : [entry('engine-dueDate', 'dueDate', t('办理期限表达式（dueDate，高级）'),
      `${t('填写上方“办理期限”即可；只有期限无法用天数表达时才需要表达式。')} ${EXPRESSION_HELP()}`)]),
    entry('engine-notBefore', 'notBefore', t('最早办理时间（notBefore）'), EXPRESSION_HELP()),
    entry('engine-notBeforeReason', 'notBeforeReason', t('提前办理时的提示（notBeforeReason）')),
    { id: 'engine-instructions', component: Instructions, isEdited: isTextAreaEntryEdited },
  ];
}

function Instructions({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return TextAreaEntry({ element, id, debounce, rows: 3, label: t('办理说明'),
    getValue: () => getText(bo, 'spiffworkflow:InstructionsForEndUser'),
    setValue: (value) => setText(element, bo, 'spiffworkflow:InstructionsForEndUser', value, bpmnFactory, commandStack) });
}

// --- timers ---

function timerDefinition(element) {
  const bo = getBusinessObject(element);
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

function timerType(definition) {
  return TIMER_TYPES().map((type) => type.value).find((type) => definition.get(type)) || '';
}

function TimerType({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const modeling = useService('modeling');
  const definition = timerDefinition(element);
  const setValue = (value) => {
    const old = timerType(definition);
    if (value === old) return;
    const properties = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
    if (value) {
      const body = old ? definition.get(old).get('body') : '';
      properties[value] = bpmnFactory.create('bpmn:FormalExpression', { body });
      properties[value].$parent = definition;
    }
    modeling.updateModdleProperties(element, definition, properties);
  };
  return SelectEntry({ element, id, label: t('定时类型'), setValue,
    getValue: () => timerType(definition),
    getOptions: () => [{ value: '', label: t('（未指定）') }, ...TIMER_TYPES()] });
}

function TimerExpression({ element, id }) {
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const definition = timerDefinition(element);
  const type = timerType(definition);
  const example = TIMER_TYPES().find((candidate) => candidate.value === type).example;
  const follows = followsDeadline(element);
  return TextAreaEntry({ element, id, debounce, rows: 2, monospace: true, label: t('定时表达式'), disabled: follows,
    description: follows ? t('跟随所附任务的办理期限，请在任务的“办理期限”中修改。')
      : `${EXPRESSION_HELP()} ${t('例如：%(example)s', { example })}`,
    getValue: () => definition.get(type).get('body') || '',
    setValue: (value) => modeling.updateModdleProperties(element, definition.get(type), { body: value || '' }) });
}

function timerEntries(element) {
  const definition = timerDefinition(element);
  const entries = [...followEntries(element)];
  if (!followsDeadline(element)) entries.push({ id: 'engine-timerType', component: TimerType, isEdited: isSelectEntryEdited });
  if (timerType(definition)) {
    entries.push({ id: 'engine-timerExpression', component: TimerExpression, isEdited: isTextAreaEntryEdited });
  }
  return entries;
}

// --- service tasks ---

function operatorOf(element) {
  return extensionsOf(getBusinessObject(element), 'spiffworkflow:ServiceTaskOperator')[0];
}

function ServiceOperator({ element, id, services }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const bo = getBusinessObject(element);
  const getValue = () => (operatorOf(element) ? operatorOf(element).get('id') || '' : '');
  const setValue = (value) => {
    const operator = operatorOf(element);
    if (!value) {
      if (operator) commandStack.execute(MULTI, removeExtension(element, bo, operator));
    } else if (operator) {
      commandStack.execute(MULTI, [{ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: operator, properties: { id: value } } }]);
    } else {
      commandStack.execute(MULTI, addExtension(element, bo,
        bpmnFactory.create('spiffworkflow:ServiceTaskOperator', { id: value }), bpmnFactory));
    }
  };
  const getOptions = () => {
    const current = getValue();
    const options = [{ value: '', label: t('（未指定）') }, ...services.map((name) => ({ value: name, label: name }))];
    if (current && !services.includes(current)) {
      options.push({ value: current, label: t('未注册：%(name)s', { name: current }) });
    }
    return options;
  };
  return SelectEntry({ element, id, label: t('服务处理程序'), getValue, setValue, getOptions,
    description: t('服务任务调用服务端以 @service 注册的处理程序。') });
}

function ServiceResult({ element, id }) {
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const operator = operatorOf(element);
  return TextFieldEntry({ element, id, debounce, label: t('结果变量（resultVariable）'),
    description: t('处理程序的返回值存入该变量。'),
    getValue: () => operator.get('resultVariable') || '',
    setValue: (value) => modeling.updateModdleProperties(element, operator, { resultVariable: (value || '').trim() || undefined }) });
}

function ServiceParameters({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const operator = operatorOf(element);
  const current = () => {
    const list = operator.get('parameterList');
    return list ? list.get('parameters') : [];
  };
  const setValue = (text) => {
    const { pairs, errors } = parseLines(text);
    if (errors.length) return;
    const old = current();
    const parameters = pairs.map(([name, value]) => {
      const kept = old.find((p) => p.get('id') === name);
      return bpmnFactory.create('spiffworkflow:Parameter', { id: name, type: kept ? kept.get('type') : 'any', value });
    });
    const list = parameters.length ? bpmnFactory.create('spiffworkflow:Parameters', { parameters }) : undefined;
    if (list) {
      list.$parent = operator;
      parameters.forEach((p) => { p.$parent = list; });
    }
    commandStack.execute(MULTI, [{ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: operator, properties: { parameterList: list } } }]);
  };
  return TextAreaEntry({ element, id, debounce, rows: 4, monospace: true, label: t('参数'),
    description: `${t('每行一个：参数名 = 表达式。')} ${EXPRESSION_HELP()}`,
    getValue: () => formatLines(current().map((p) => [p.get('id'), p.get('value') || ''])),
    setValue, validate: validateParameters });
}

function serviceEntries(element, { services }) {
  const entries = [{ id: 'engine-serviceOperator', component: ServiceOperator, isEdited: isSelectEntryEdited, services }];
  if (operatorOf(element)) {
    entries.push({ id: 'engine-serviceResult', component: ServiceResult, isEdited: isTextFieldEntryEdited });
    entries.push({ id: 'engine-serviceParameters', component: ServiceParameters, isEdited: isTextAreaEntryEdited });
  }
  return entries;
}

// --- messages: payload of a throw, variable and correlation of a catch ---

function messageDefinition(element) {
  const bo = getBusinessObject(element);
  if (is(bo, 'bpmn:ReceiveTask') || is(bo, 'bpmn:SendTask')) return bo;
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:MessageEventDefinition'));
}

function isThrow(element) {
  return is(element, 'bpmn:IntermediateThrowEvent') || is(element, 'bpmn:EndEvent') || is(element, 'bpmn:SendTask');
}

function MessageText({ element, id, type, label, description, rows }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const definition = messageDefinition(element);
  return TextAreaEntry({ element, id, debounce, rows, monospace: true, label, description,
    getValue: () => getText(definition, type),
    setValue: (value) => setText(element, definition, type, (value || '').trim(), bpmnFactory, commandStack) });
}

function Correlations({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const definition = messageDefinition(element);
  const current = () => extensionsOf(definition, 'spiffworkflow:ProcessVariableCorrelation');
  const setValue = (text) => {
    const { pairs, errors } = parseLines(text);
    if (errors.length) return;
    const ext = definition.get('extensionElements');
    const others = ext ? ext.get('values').filter((v) => !is(v, 'spiffworkflow:ProcessVariableCorrelation')) : [];
    const created = pairs.map(([propertyId, expression]) =>
      bpmnFactory.create('spiffworkflow:ProcessVariableCorrelation', { propertyId, expression }));
    if (!created.length && !others.length) {
      if (ext) commandStack.execute(MULTI, [{ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: definition, properties: { extensionElements: undefined } } }]);
      return;
    }
    const commands = [];
    let target = ext;
    if (!target) {
      target = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
      target.$parent = definition;
      commands.push({ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: definition, properties: { extensionElements: target } } });
    }
    created.forEach((c) => { c.$parent = target; });
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: target, properties: { values: [...others, ...created] } } });
    commandStack.execute(MULTI, commands);
  };
  return TextAreaEntry({ element, id, debounce, rows: 3, monospace: true, label: t('关联键'),
    description: t('每行一个：关联属性 = 本实例中的表达式。只有关联属性取值相同的消息才会送达本实例。'),
    getValue: () => formatLines(current().map((c) => [c.get('propertyId') || '', c.get('expression') || ''])),
    setValue, validate: validateCorrelations });
}

function messageEntries(element) {
  if (isThrow(element)) {
    return [{ id: 'engine-messagePayload', isEdited: isTextAreaEntryEdited, component: MessageText,
      type: 'spiffworkflow:MessagePayload', rows: 3, label: t('消息内容（messagePayload）'),
      description: `${t('发送的数据，如 {"county": county}。')} ${EXPRESSION_HELP()}` }];
  }
  return [
    { id: 'engine-messageVariable', isEdited: isTextAreaEntryEdited, component: MessageText,
      type: 'spiffworkflow:MessageVariable', rows: 1, label: t('接收变量（messageVariable）'),
      description: t('收到的消息内容存入该变量。') },
    { id: 'engine-correlations', component: Correlations, isEdited: isTextAreaEntryEdited },
  ];
}

// --- the provider ---

export default class EnginePropertiesProvider {
  constructor(propertiesPanel, config) {
    this.options = { roles: [], services: [], forms: [], decisions: [], ...(config || {}) };
    propertiesPanel.registerProvider(400, this);
  }

  getGroups(element) {
    return (groups) => {
      const options = this.options;
      const added = [];
      const group = (id, label, entries) => {
        if (entries.length) added.push({ id, label, entries, shouldOpen: true });
      };
      if (is(element, 'bpmn:Lane')) {
        group('engine-lane', t('办理单位'), [{ id: 'engine-laneRole', isEdited: isSelectEntryEdited,
          component: LaneRole, roles: options.roles }]);
      }
      if (is(element, 'bpmn:UserTask')) {
        group('engine-deadline', t('办理期限'), deadlineEntries());
        group('engine-userTask', t('表单与办理'), userTaskEntries(element, options));
      }
      if (is(element, 'bpmn:BusinessRuleTask')) {
        group('engine-decision', t('决策'), decisionEntries(options));
      }
      if (is(element, 'bpmn:ServiceTask')) {
        group('engine-service', t('服务处理程序'), serviceEntries(element, options));
      }
      if (timerDefinition(element)) {
        // Replaces the generic timer group: our timers are expressions, not ISO texts.
        groups = groups.filter((g) => g.id !== 'timer');
        group('engine-timer', t('定时'), timerEntries(element));
      }
      if (messageDefinition(element)) {
        group('engine-message', t('消息数据'), messageEntries(element));
      }
      const general = groups.findIndex((g) => g.id === 'general');
      groups.splice(general + 1, 0, ...added);
      return groups;
    };
  }
}

EnginePropertiesProvider.$inject = ['propertiesPanel', 'config.engineProperties'];
