// ottl-probe evaluates OTTL conditions with the OpenTelemetry Collector's own OTTL library (the
// release otelcol-builder.yaml pins), wired as the tail_sampling processor's ottl_condition policy
// wires it: span or spanevent context, path context names, the standard converters (IsRootSpan
// for spans). The differential test test/otelcol-ottl-eval-diff.test.ts compares its answers
// with ours.
//
// Input (stdin): the path of an OTLP/JSON traces file, then one "span|spanevent<TAB>condition"
// per line. Output: one line per condition — "PARSE <error>" when it does not build, else one
// character per span (or per span event, in order): 1 true, 0 false, E evaluation error.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottlspan"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottlspanevent"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/ottlfuncs"
)

type evaluator func(ctx context.Context, rs ptrace.ResourceSpans, ss ptrace.ScopeSpans, span ptrace.Span, out *strings.Builder)

func outcome(ok bool, err error) byte {
	switch {
	case err != nil:
		return 'E'
	case ok:
		return '1'
	default:
		return '0'
	}
}

// build parses one condition in one context of a single-context parser collection, so that paths
// without a context name get the condition's own, as the tail sampler's conditions do.
func build[K any](set component.TelemetrySettings, name string, parser ottl.Parser[K], condition string, errorMode ottl.ErrorMode, sequence func([]*ottl.Condition[K]) ottl.ConditionSequence[K]) (*ottl.ConditionSequence[K], error) {
	collection, err := ottl.NewParserCollection(set, ottl.WithParserCollectionContext(name, &parser,
		ottl.WithConditionConverter(func(_ *ottl.ParserCollection[*ottl.ConditionSequence[K]], _ ottl.ConditionsGetter, parsed []*ottl.Condition[K]) (*ottl.ConditionSequence[K], error) {
			s := sequence(parsed)
			return &s, nil
		})))
	if err != nil {
		return nil, err
	}
	return collection.ParseConditionsWithContext(name, ottl.NewConditionsGetter([]string{condition}), true)
}

func compile(set component.TelemetrySettings, kind, condition string) (evaluator, error) {
	if kind == "span" {
		funcs := ottlfuncs.StandardConverters[*ottlspan.TransformContext]()
		root := ottlfuncs.NewIsRootSpanFactory()
		funcs[root.Name()] = root
		parser, err := ottlspan.NewParser(funcs, set, ottlspan.EnablePathContextNames())
		if err != nil {
			return nil, err
		}
		seq, err := build(set, ottlspan.ContextName, parser, condition, ottl.PropagateError, func(c []*ottl.Condition[*ottlspan.TransformContext]) ottl.ConditionSequence[*ottlspan.TransformContext] {
			return ottlspan.NewConditionSequence(c, set, ottlspan.WithConditionSequenceErrorMode(ottl.PropagateError))
		})
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, rs ptrace.ResourceSpans, ss ptrace.ScopeSpans, span ptrace.Span, out *strings.Builder) {
			tCtx := ottlspan.NewTransformContext(rs, ss, span)
			out.WriteByte(outcome(seq.Eval(ctx, tCtx)))
			tCtx.Close()
		}, nil
	}
	parser, err := ottlspanevent.NewParser(ottlfuncs.StandardConverters[*ottlspanevent.TransformContext](), set, ottlspanevent.EnablePathContextNames())
	if err != nil {
		return nil, err
	}
	seq, err := build(set, ottlspanevent.ContextName, parser, condition, ottl.PropagateError, func(c []*ottl.Condition[*ottlspanevent.TransformContext]) ottl.ConditionSequence[*ottlspanevent.TransformContext] {
		return ottlspanevent.NewConditionSequence(c, set, ottlspanevent.WithConditionSequenceErrorMode(ottl.PropagateError))
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, rs ptrace.ResourceSpans, ss ptrace.ScopeSpans, span ptrace.Span, out *strings.Builder) {
		for i := 0; i < span.Events().Len(); i++ {
			tCtx := ottlspanevent.NewTransformContext(rs, ss, span, span.Events().At(i))
			out.WriteByte(outcome(seq.Eval(ctx, tCtx)))
			tCtx.Close()
		}
	}, nil
}

func main() {
	set := componenttest.NewNopTelemetrySettings()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	if !in.Scan() {
		fmt.Fprintln(os.Stderr, "ottl-probe: expected the traces file's path on the first line")
		os.Exit(2)
	}
	data, err := os.ReadFile(in.Text())
	if err != nil {
		fmt.Fprintln(os.Stderr, "ottl-probe:", err)
		os.Exit(2)
	}
	traces, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ottl-probe:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	ctx := context.Background()
	for in.Scan() {
		kind, condition, _ := strings.Cut(in.Text(), "\t")
		eval, err := compile(set, kind, condition)
		if err != nil {
			fmt.Fprintf(out, "PARSE %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		var line strings.Builder
		for i := 0; i < traces.ResourceSpans().Len(); i++ {
			rs := traces.ResourceSpans().At(i)
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j)
				for k := 0; k < ss.Spans().Len(); k++ {
					eval(ctx, rs, ss, ss.Spans().At(k), &line)
				}
			}
		}
		fmt.Fprintln(out, line.String())
	}
}
