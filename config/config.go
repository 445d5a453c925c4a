// Package config loads and validates the extauthz YAML configuration.
package config

import (
	_ "go.yaml.in/yaml/v3"
)
