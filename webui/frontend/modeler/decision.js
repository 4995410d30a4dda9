// A business rule task's decision in the properties panel: one of the working copy's decision tables,
// written as spiffworkflow:calledDecisionId (undoable), with a link to edit the chosen table.
import { SelectEntry, isSelectEntryEdited } from '@bpmn-io/properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';

import { getText, setText } from './extensions';
import { t } from './i18n';

const CALLED = 'spiffworkflow:CalledDecisionId';

// Camunda Modeler names the decision in an attribute; the engine reads it when SpiffWorkflow's element is absent.
export function calledDecision(bo) {
  return getText(bo, CALLED) || bo.get('camunda:decisionRef') || '';
}

export function decisionUrl(template, file) {
  return template.replace('FILE_NAME', encodeURIComponent(file));
}

function CalledDecision({ element, id, decisions, editorUrl }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const bo = getBusinessObject(element);
  const current = calledDecision(bo);
  const getOptions = () => {
    const options = [{ value: '', label: t('（未指定）') }, ...decisions.filter((d) => d.id)
      .map((d) => ({ value: d.id, label: d.name ? `${d.name}（${d.id}）` : d.id }))];
    if (current && !decisions.some((d) => d.id === current)) {
      options.push({ value: current, label: t('没有此决策表：%(id)s', { id: current }) });
    }
    return options;
  };
  const chosen = decisions.find((d) => d.id && d.id === current);
  const description = chosen
    ? h('a', { href: decisionUrl(editorUrl, chosen.file), class: 'engine-decision-link', 'data-keeps-draft': '' },
      t('打开决策表 %(file)s', { file: chosen.file }))
    : t('在下方“决策表”中新建决策表后，可在此选择。');
  return SelectEntry({ element, id, label: t('决策表（calledDecisionId）'), getOptions, description,
    getValue: () => current,
    setValue: (value) => setText(element, bo, CALLED, value, bpmnFactory, commandStack) });
}

export function decisionEntries({ decisions, decisionEditor }) {
  return [{ id: 'engine-calledDecision', component: CalledDecision, isEdited: isSelectEntryEdited, decisions,
    editorUrl: decisionEditor }];
}
