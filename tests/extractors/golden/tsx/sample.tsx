// expect: name=List ccn=3 cognitive=2 max_nesting=1 params=1 nloc=4
// ccn 1 + &&, ? = 3; cognitive: && 1, ternary 1 = 2
function List(props: { items: string[]; loading: boolean }) {
  const empty = props.items.length === 0 && !props.loading;
  return <ul>{empty ? <li>none</li> : props.items.map((item) => <li key={item}>{item}</li>)}</ul>;
}
// the arrow callback: no decisions
// expect: name=(anonymous) ccn=1 cognitive=0 max_nesting=0 params=1 nloc=1
