package envoy_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// grpcProvider mirrors Istio's MeshConfig.ExtensionProvider.EnvoyExtAuthzGrpcProvider (API
// istio.io/api mesh/v1alpha1). Decoding with KnownFields rejects any key Istio would not know.
type grpcProvider struct {
	Service                   string         `yaml:"service"`
	Port                      int            `yaml:"port"`
	Timeout                   string         `yaml:"timeout"`
	FailOpen                  bool           `yaml:"failOpen"`
	ClearRouteCache           bool           `yaml:"clearRouteCache"`
	StatusOnError             string         `yaml:"statusOnError"`
	IncludeRequestBodyInCheck map[string]any `yaml:"includeRequestBodyInCheck"`
}

type meshConfig struct {
	MeshConfig struct {
		ExtensionProviders []struct {
			Name              string        `yaml:"name"`
			EnvoyExtAuthzGrpc *grpcProvider `yaml:"envoyExtAuthzGrpc"`
		} `yaml:"extensionProviders"`
	} `yaml:"meshConfig"`
}

// authorizationPolicy holds the fields of security.istio.io/v1 AuthorizationPolicy used here.
type authorizationPolicy struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Action   string `yaml:"action"`
		Provider struct {
			Name string `yaml:"name"`
		} `yaml:"provider"`
		Rules []map[string]any `yaml:"rules"`
	} `yaml:"spec"`
}

func decodeStrict(t *testing.T, file string, v any) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestIstio checks what can be checked without a cluster: the extension provider's fields
// against Istio's schema, a fail-closed setting, and a CUSTOM policy naming that provider.
func TestIstio(t *testing.T) {
	var mesh meshConfig
	decodeStrict(t, "istio/meshconfig.yaml", &mesh)
	providers := map[string]*grpcProvider{}
	for _, p := range mesh.MeshConfig.ExtensionProviders {
		if p.EnvoyExtAuthzGrpc == nil {
			t.Fatalf("extension provider %q is not envoyExtAuthzGrpc", p.Name)
		}
		providers[p.Name] = p.EnvoyExtAuthzGrpc
	}

	var policy authorizationPolicy
	decodeStrict(t, "istio/authorizationpolicy.yaml", &policy)
	if policy.APIVersion != "security.istio.io/v1" || policy.Kind != "AuthorizationPolicy" {
		t.Errorf("policy is %s %s, want security.istio.io/v1 AuthorizationPolicy",
			policy.APIVersion, policy.Kind)
	}
	if policy.Spec.Action != "CUSTOM" || len(policy.Spec.Rules) == 0 {
		t.Errorf("policy action %q with %d rules, want CUSTOM with at least one rule "+
			"(a CUSTOM policy without rules matches nothing)", policy.Spec.Action,
			len(policy.Spec.Rules))
	}
	p := providers[policy.Spec.Provider.Name]
	if p == nil {
		t.Fatalf("policy names provider %q; the mesh config has %v",
			policy.Spec.Provider.Name, mesh.MeshConfig.ExtensionProviders)
	}

	if p.Service == "" || p.Port <= 0 || p.Port > 65535 {
		t.Errorf("provider service %q port %d, want a service and a port", p.Service, p.Port)
	}
	if p.FailOpen {
		t.Error("provider failOpen = true, want false: an unreachable authorizer must deny")
	}
	if p.StatusOnError != "503" {
		t.Errorf("provider statusOnError = %q, want \"503\" so clients retry", p.StatusOnError)
	}
	d, err := time.ParseDuration(p.Timeout)
	if err != nil || d <= 0 || d > time.Second {
		t.Errorf("provider timeout %q, want a duration in (0, 1s]", p.Timeout)
	}
	if p.IncludeRequestBodyInCheck != nil {
		t.Error("provider includeRequestBodyInCheck is set; extauthz reads only headers")
	}
}
