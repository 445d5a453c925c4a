// Package envoy_test checks the Envoy and Istio configuration shipped in envoy/: each Envoy
// bootstrap parses into go-control-plane's types, passes their generated validation, and
// configures ext_authz to fail closed against a cluster that exists.
package envoy_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	headermutationv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_mutation/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// The typed_config messages the bootstraps use. Importing their packages registers them, so
// protojson can resolve each "@type"; listing them here also keeps the imports honest.
var (
	_ = (*hcmv3.HttpConnectionManager)(nil)
	_ = (*routerv3.Router)(nil)
	_ = (*httpv3.HttpProtocolOptions)(nil)
)

// httpProtocolOptions is the key of a cluster's HTTP protocol options.
const httpProtocolOptions = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// identityHeaders are set by extauthz alone; clients' copies must be dropped.
var identityHeaders = []string{"x-jwt-sub", "x-jwt-iss"}

// validator is what protoc-gen-validate generates on every Envoy message.
type validator interface{ ValidateAll() error }

// loadBootstrap reads a YAML bootstrap the way Envoy does (YAML is JSON's superset; proto
// fields in snake_case) and validates it, including every typed_config inside it, which
// ValidateAll does not descend into.
func loadBootstrap(t *testing.T, file string) *bootstrapv3.Bootstrap {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: parsing YAML: %v", file, err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("%s: converting to JSON: %v", file, err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &b); err != nil {
		t.Fatalf("%s: not a valid Envoy bootstrap: %v", file, err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("%s: Bootstrap.ValidateAll: %v", file, err)
	}
	return &b
}

// unpack decodes a typed_config and validates it.
func unpack[M proto.Message](t *testing.T, what string, a *anypb.Any, into M) M {
	t.Helper()
	if err := a.UnmarshalTo(into); err != nil {
		t.Fatalf("%s: typed_config %s: %v", what, a.GetTypeUrl(), err)
	}
	if err := any(into).(validator).ValidateAll(); err != nil {
		t.Fatalf("%s: ValidateAll: %v", what, err)
	}
	return into
}

// httpFilters returns the HTTP filter chain of the bootstrap's only listener's HCM, after
// validating every filter's and cluster's typed_config.
func httpFilters(t *testing.T, b *bootstrapv3.Bootstrap) []*hcmv3.HttpFilter {
	t.Helper()
	for _, c := range b.GetStaticResources().GetClusters() {
		for name, opts := range c.GetTypedExtensionProtocolOptions() {
			unpack(t, "cluster "+c.GetName()+" "+name, opts, &httpv3.HttpProtocolOptions{})
		}
	}
	listeners := b.GetStaticResources().GetListeners()
	if len(listeners) != 1 || len(listeners[0].GetFilterChains()) != 1 {
		t.Fatalf("want one listener with one filter chain, got %d listeners", len(listeners))
	}
	filters := listeners[0].GetFilterChains()[0].GetFilters()
	if len(filters) != 1 {
		t.Fatalf("want one network filter (the HTTP connection manager), got %d", len(filters))
	}
	hcm := unpack(t, "http_connection_manager", filters[0].GetTypedConfig(),
		&hcmv3.HttpConnectionManager{})
	for _, f := range hcm.GetHttpFilters() {
		if f.GetTypedConfig() == nil {
			t.Fatalf("HTTP filter %s has no typed_config", f.GetName())
		}
		msg, err := f.GetTypedConfig().UnmarshalNew()
		if err != nil {
			t.Fatalf("HTTP filter %s: %v", f.GetName(), err)
		}
		unpack(t, f.GetName(), f.GetTypedConfig(), msg)
	}
	return hcm.GetHttpFilters()
}

func filterIndex(filters []*hcmv3.HttpFilter, name string) int {
	return slices.IndexFunc(filters, func(f *hcmv3.HttpFilter) bool { return f.GetName() == name })
}

func cluster(b *bootstrapv3.Bootstrap, name string) *clusterv3.Cluster {
	for _, c := range b.GetStaticResources().GetClusters() {
		if c.GetName() == name {
			return c
		}
	}
	return nil
}

type bootstrapCase struct {
	file     string
	wantGRPC bool // the gRPC service, else the HTTP forward-auth service
}

func TestBootstrap(t *testing.T) {
	for _, tc := range []bootstrapCase{
		{file: "envoy.yaml", wantGRPC: true},
		{file: "envoy-http.yaml", wantGRPC: false},
	} {
		t.Run(tc.file, tc.run)
	}
}

func (tc bootstrapCase) run(t *testing.T) {
	b := loadBootstrap(t, tc.file)
	filters := httpFilters(t, b)

	strip, authz := filterIndex(filters, "envoy.filters.http.header_mutation"),
		filterIndex(filters, "envoy.filters.http.ext_authz")
	router := filterIndex(filters, "envoy.filters.http.router")
	if strip < 0 || authz < 0 || router != len(filters)-1 || !(strip < authz) {
		t.Fatalf("HTTP filters must be header_mutation, ext_authz, ..., router (last); "+
			"got indexes %d, %d, %d of %d", strip, authz, router, len(filters))
	}
	checkStripsIdentity(t, filters[strip])

	cfg := unpack(t, "ext_authz", filters[authz].GetTypedConfig(), &extauthzv3.ExtAuthz{})
	if cfg.GetFailureModeAllow() {
		t.Error("ext_authz failure_mode_allow = true, want false: an unreachable authorizer " +
			"must deny")
	}
	// An unreachable or failing extauthz (and, in HTTP mode, its own 503
	// keys_unavailable, which Envoy's HTTP client treats as an error) must reach
	// the client as 503, so that it retries rather than fetch a new token.
	if got := cfg.GetStatusOnError().GetCode(); got != typev3.StatusCode_ServiceUnavailable {
		t.Errorf("ext_authz status_on_error = %v, want ServiceUnavailable (503)", got)
	}
	if got := cfg.GetTransportApiVersion(); got != corev3.ApiVersion_V3 {
		t.Errorf("ext_authz transport_api_version = %v, want V3", got)
	}
	if cfg.GetWithRequestBody() != nil {
		t.Error("ext_authz with_request_body is set; extauthz reads only headers")
	}
	if tc.wantGRPC {
		checkGRPCService(t, b, cfg)
	} else {
		checkHTTPService(t, b, cfg)
	}
}

func checkStripsIdentity(t *testing.T, f *hcmv3.HttpFilter) {
	t.Helper()
	hm := unpack(t, f.GetName(), f.GetTypedConfig(), &headermutationv3.HeaderMutation{})
	var removed []string
	for _, m := range hm.GetMutations().GetRequestMutations() {
		if r := m.GetRemove(); r != "" {
			removed = append(removed, r)
		}
	}
	for _, h := range identityHeaders {
		if !slices.Contains(removed, h) {
			t.Errorf("header_mutation removes %v, want %s removed before ext_authz", removed, h)
		}
	}
}

func checkGRPCService(t *testing.T, b *bootstrapv3.Bootstrap, cfg *extauthzv3.ExtAuthz) {
	t.Helper()
	svc := cfg.GetGrpcService()
	name := svc.GetEnvoyGrpc().GetClusterName()
	c := cluster(b, name)
	if c == nil {
		t.Fatalf("ext_authz grpc_service names cluster %q, which is not defined", name)
	}
	checkTimeout(t, "grpc_service.timeout", svc.GetTimeout().AsDuration(), svc.GetTimeout() != nil)
	opts, ok := c.GetTypedExtensionProtocolOptions()[httpProtocolOptions]
	var po httpv3.HttpProtocolOptions
	if !ok || opts.UnmarshalTo(&po) != nil ||
		po.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
		t.Errorf("cluster %s does not speak HTTP/2, which gRPC needs", name)
	}
}

func checkHTTPService(t *testing.T, b *bootstrapv3.Bootstrap, cfg *extauthzv3.ExtAuthz) {
	t.Helper()
	uri := cfg.GetHttpService().GetServerUri()
	if cluster(b, uri.GetCluster()) == nil {
		t.Fatalf("ext_authz http_service names cluster %q, which is not defined", uri.GetCluster())
	}
	checkTimeout(t, "server_uri.timeout", uri.GetTimeout().AsDuration(), uri.GetTimeout() != nil)

	var upstream []string
	for _, p := range cfg.GetHttpService().GetAuthorizationResponse().
		GetAllowedUpstreamHeaders().GetPatterns() {
		upstream = append(upstream, p.GetExact())
	}
	for _, h := range identityHeaders {
		if !slices.Contains(upstream, h) {
			t.Errorf("allowed_upstream_headers = %v, want %s", upstream, h)
		}
	}
}

// checkTimeout requires a deadline short enough that a slow authorizer cannot stall traffic.
func checkTimeout(t *testing.T, what string, d time.Duration, set bool) {
	t.Helper()
	if !set || d <= 0 || d > time.Second {
		t.Errorf("%s = %v (set %v), want a deadline in (0, 1s]", what, d, set)
	}
}
