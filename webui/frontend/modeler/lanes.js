// The lane a flow node is drawn in, which names the office that does it.
import { is } from 'bpmn-js/lib/util/ModelUtil';

export default function laneOf(bo) {
  const lanes = [];
  const collect = (laneSet) => (laneSet ? laneSet.get('lanes') : []).forEach((lane) => {
    lanes.push(lane);
    collect(lane.get('childLaneSet'));
  });
  let process = bo.$parent;
  while (process && !is(process, 'bpmn:Process')) process = process.$parent;
  (process ? process.get('laneSets') : []).forEach(collect);
  // The innermost lane is the last one listed that holds the task.
  return lanes.filter((lane) => lane.get('flowNodeRef').includes(bo)).pop();
}
