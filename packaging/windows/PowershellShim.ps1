# PowershellShim.ps1: pxpd's "powershell" task input method, as
# pxp-agent's: run as
#   powershell.exe ... -File PowershellShim.ps1 <task.ps1>
# with the task's parameters as one JSON object on stdin; the task script
# gets those its param() block declares as named parameters (the others,
# such as _task, are left out), nested objects as hashtables. The exit
# code is the task's. Windows PowerShell 3 or later (ConvertFrom-Json).

function ConvertTo-PxpdHashtable($Value) {
  if ($null -eq $Value) { return $null }
  if ($Value -is [System.Management.Automation.PSCustomObject]) {
    $h = @{}
    foreach ($p in $Value.PSObject.Properties) {
      $h[$p.Name] = ConvertTo-PxpdHashtable $p.Value
    }
    return $h
  }
  if ($Value -is [System.Array]) {
    $list = New-Object System.Collections.ArrayList
    foreach ($item in $Value) { [void]$list.Add((ConvertTo-PxpdHashtable $item)) }
    return ,($list.ToArray())
  }
  return $Value
}

try {
  $task = $args[0]
  $text = @($input) -join "`n"
  $params = @{}
  if ($text.Trim().Length -gt 0) {
    $params = ConvertTo-PxpdHashtable (ConvertFrom-Json $text)
  }
  $declared = (Get-Command $task).Parameters.Keys
  $taskArgs = @{}
  foreach ($k in @($params.Keys)) {
    if ($declared -contains $k) { $taskArgs[$k] = $params[$k] }
  }
  & $task @taskArgs
} catch {
  Write-Error $_
  if ($null -eq $LASTEXITCODE -or $LASTEXITCODE -eq 0) { $LASTEXITCODE = 1 }
}
exit $LASTEXITCODE
