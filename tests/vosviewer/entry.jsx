import React from 'react'
import { createRoot } from 'react-dom/client'
import { VOSviewerOnline } from 'vosviewer-online'

const data = JSON.parse(document.getElementById('vos-data').textContent)
createRoot(document.getElementById('root')).render(
  <div style={{ width: '1100px', height: '750px' }}>
    <VOSviewerOnline data={data} />
  </div>
)
