// A new decision: the smallest DMN 1.3 file the engine reads, one decision table with one input and one
// output under hit policy UNIQUE. The input's expression is left for the owner to name (validation asks).
import { t } from '../modeler/i18n';

// Business rule tasks name it, and its file is named after it: letters, digits and underscores.
export const DECISION_ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escaped = (text) => text.replace(/[&<>"]/g, (c) => ESCAPES[c]);

export function decisionFile(id) {
  return `${id}.dmn`;
}

export function newDecisionXml(id, name) {
  const label = escaped(name);
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="definitions_${id}" name="${label}" namespace="http://shegong-flow/dmn">
  <decision id="${id}" name="${label}">
    <decisionTable id="${id}_table" hitPolicy="UNIQUE">
      <input id="${id}_input_1" label="${escaped(t('输入'))}">
        <inputExpression id="${id}_input_expression_1" typeRef="string">
          <text></text>
        </inputExpression>
      </input>
      <output id="${id}_output_1" label="${escaped(t('结果'))}" name="result" typeRef="string" />
    </decisionTable>
  </decision>
</definitions>
`;
}
