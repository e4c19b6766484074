package mgmt

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeTokens feeds arbitrary responses to the token list decoder. It
// must never panic, and every token it accepts carries the required fields.
func FuzzDecodeTokens(f *testing.F) {
	f.Add([]byte("[" + tokenJSON + "]"))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"permissions":null}]`))
	f.Add([]byte(`[{"accountId":"` + testAccount + `","clusterId":"` + testCluster + `","id":7}]`))
	decode := owner{accountID: testAccount, clusterID: testCluster}.token

	f.Fuzz(func(t *testing.T, data []byte) {
		tokens, err := decodeList(data, decode)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedResponse)
			return
		}
		for _, tok := range tokens {
			require.True(t, isUUID(tok.ID))
			require.NotNil(t, tok.Permissions)
		}
	})
}

// FuzzPartitionTemplate decodes arbitrary database responses. A template the
// decoder accepts must encode and decode back to the same parts.
func FuzzPartitionTemplate(f *testing.F) {
	f.Add([]byte(`[{"type":"time","value":"%Y"},{"type":"tag","value":"plátanos"},` +
		`{"type":"bucket","value":{"tagName":"c","numberOfBuckets":10}}]`))
	f.Add([]byte(`[{"type":"bucket","value":null}]`))
	f.Add([]byte(`[{"type":"tag","value":{"tagName":"c"}}]`))
	f.Add([]byte(`[{"type":"other","value":"x"}]`))
	f.Add([]byte(`[{}]`))
	decode := owner{accountID: testAccount, clusterID: testCluster}.database(databaseShape{})
	prefix := `{"accountId":"` + testAccount + `","clusterId":"` + testCluster +
		`","name":"db","maxTables":1,"maxColumnsPerTable":1,"retentionPeriod":0,"partitionTemplate":`

	f.Fuzz(func(t *testing.T, template []byte) {
		db, err := decodeOne(append([]byte(prefix), append(template, '}')...), decode)
		if err != nil {
			return
		}
		encoded, err := json.Marshal(db.PartitionTemplate)
		require.NoError(t, err)
		var again []PartitionPart
		require.NoError(t, json.Unmarshal(encoded, &again))
		require.NoError(t, checkTemplate(again))
		if len(db.PartitionTemplate) > 0 {
			require.Equal(t, db.PartitionTemplate, again)
		}
	})
}
